import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { eagerLoads } from './eager-loads.js';
import { importsOf, packageNameOf, sourceFiles } from './imports.js';
import { ALLOWED_WORKSPACE_DEPS, CORE_ALLOWED_EXTERNALS, LAZY_LOADED, TEST_SUPPORT_PACKAGES } from './rules.js';

export interface Violation {
  file: string;
  specifier: string;
  rule: 'core-external' | 'graph' | 'internals' | 'escape' | 'undeclared' | 'test-support' | 'manifest' | 'eager-load';
  message: string;
}

interface WorkspacePackage {
  name: string;
  dir: string;
  manifest: {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    exports?: Record<string, unknown>;
    imports?: Record<string, unknown>;
  };
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function workspacePackages(root: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      const manifestPath = join(base, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as WorkspacePackage['manifest'];
      found.push({ name: manifest.name, dir: join(base, entry.name), manifest });
    }
  }
  return found;
}

function exportSubpaths(manifest: WorkspacePackage['manifest']): Set<string> {
  const exportsField = manifest.exports;
  if (!exportsField) return new Set(['.']);
  return new Set(Object.keys(exportsField).filter((k) => k.startsWith('.')));
}

/** Checks every source file of every workspace package against the rules; returns all violations. */
export function checkRepository(root: string): Violation[] {
  const packages = workspacePackages(resolve(root));
  const byName = new Map(packages.map((p) => [p.name, p]));
  const violations: Violation[] = [];

  for (const pkg of packages) {
    const allowed = ALLOWED_WORKSPACE_DEPS[pkg.name];
    const prodDeps = {
      ...pkg.manifest.dependencies,
      ...pkg.manifest.peerDependencies,
      ...pkg.manifest.optionalDependencies,
    };
    const allDeps = { ...prodDeps, ...pkg.manifest.devDependencies };

    for (const dep of Object.keys(prodDeps)) {
      if (!dep.startsWith('@org/') || !byName.has(dep)) continue;
      if (allowed && !allowed.includes(dep)) {
        violations.push({
          file: relative(root, join(pkg.dir, 'package.json')),
          specifier: dep,
          rule: 'manifest',
          message: `${pkg.name} must not depend on ${dep} (allowed: ${allowed.join(', ') || 'no workspace package'})`,
        });
      }
    }

    for (const file of sourceFiles(pkg.dir)) {
      const rel = relative(pkg.dir, file);
      const isProduction = rel.startsWith(`src${sep}`) && !/\.(test|spec|e2e-spec)\.[cm]?[jt]s$/.test(rel);
      const shown = relative(root, file);
      for (const specifier of importsOf(file)) {
        const add = (rule: Violation['rule'], message: string) =>
          violations.push({ file: shown, specifier, rule, message: `${shown}: ${message}` });

        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!target.startsWith(pkg.dir + sep) && target !== pkg.dir) {
            const outsideRepo = !target.startsWith(resolve(root) + sep);
            const ownsSharedConfig = !outsideRepo && dirname(target) === resolve(root) && !isProduction;
            if (!ownsSharedConfig) add('escape', `relative import "${specifier}" leaves package ${pkg.name}`);
          }
          continue;
        }
        if (BUILTINS.has(specifier) || BUILTINS.has(packageNameOf(specifier))) continue;
        if (specifier.startsWith('#')) {
          // Node subpath imports: must be declared in the package's own "imports" map (they stay inside it).
          const declared = Object.keys(pkg.manifest.imports ?? {}).some((pattern) =>
            pattern.endsWith('*') ? specifier.startsWith(pattern.slice(0, -1)) : specifier === pattern,
          );
          if (!declared) add('undeclared', `subpath import "${specifier}" is not in ${pkg.name}'s "imports" map`);
          continue;
        }
        const target = packageNameOf(specifier);

        if (byName.has(target)) {
          const subpath = specifier === target ? '.' : `.${specifier.slice(target.length)}`;
          const exported = exportSubpaths(byName.get(target)!.manifest);
          if (/(^|\/)(src|dist)(\/|$)/.test(subpath) || !exported.has(subpath)) {
            add(
              'internals',
              `"${specifier}" reaches into ${target}'s internals; import only its exports (${[...exported].join(', ')})`,
            );
            continue;
          }
          if (target === pkg.name) continue;
          if (TEST_SUPPORT_PACKAGES.includes(target)) {
            if (isProduction && !TEST_SUPPORT_PACKAGES.includes(pkg.name)) {
              add('test-support', `production code imports the test-support package ${target}`);
            }
            continue;
          }
          if (isProduction && allowed && !allowed.includes(target)) {
            add(
              'graph',
              `${pkg.name} must not import ${target} (dependencies point one way: allowed ${allowed.join(', ') || 'none'})`,
            );
            continue;
          }
        }

        if (
          pkg.name === '@org/core' &&
          isProduction &&
          !byName.has(target) &&
          !CORE_ALLOWED_EXTERNALS.includes(target)
        ) {
          add(
            'core-external',
            `@org/core must not import "${target}" (no SDK, no framework; allowed: ${CORE_ALLOWED_EXTERNALS.join(', ')})`,
          );
          continue;
        }
        const declared = isProduction ? prodDeps : allDeps;
        if (!(target in declared) && !byName.has(target) && !rootDeclares(root, target, isProduction)) {
          add('undeclared', `imports "${target}", which ${pkg.name}/package.json does not declare`);
        }
      }
    }
  }
  for (const found of eagerLoads(root, packages, LAZY_LOADED)) violations.push({ ...found, rule: 'eager-load' });
  return violations;
}

const rootManifests = new Map<string, Record<string, string>>();
function rootDeclares(root: string, name: string, isProduction: boolean): boolean {
  if (isProduction) return false;
  let deps = rootManifests.get(root);
  if (!deps) {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    deps = manifest.devDependencies ?? {};
    rootManifests.set(root, deps);
  }
  return name in deps;
}
