import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { packageNameOf } from './imports.js';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Specifiers a module loads when it is evaluated: static imports and re-exports, except `import type` / `export
 * type` (with verbatimModuleSyntax an `import { type A }` is kept as an import, so it counts). `import()` and
 * `require()` inside functions are not followed: that is how a module defers a load.
 */
export function valueImportsOf(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly) continue;
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly || !statement.moduleSpecifier) continue;
    } else continue;
    const specifier = statement.moduleSpecifier;
    if (specifier && ts.isStringLiteral(specifier)) found.push(specifier.text);
  }
  return found;
}

/** The source file behind an export target such as `./dist/index.js` (its `src/*.ts`). */
function sourceOfExport(dir: string, target: unknown): string | undefined {
  const path =
    typeof target === 'string'
      ? target
      : ((target as { import?: unknown; default?: unknown } | null)?.import ??
        (target as { default?: unknown } | null)?.default);
  if (typeof path !== 'string') return undefined;
  const file = join(dir, path.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  return existsSync(file) ? file : undefined;
}

/**
 * Every package that importing `entry` loads, with the chain of modules that leads to it (the first found).
 * Relative imports are followed inside the package; `.js` specifiers name their `.ts` sources.
 */
export function packagesLoadedBy(entry: string): Map<string, string[]> {
  const loaded = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const specifier of valueImportsOf(file)) {
      if (specifier.startsWith('.')) {
        visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), [...chain, file]);
        continue;
      }
      const name = packageNameOf(specifier);
      if (!BUILTINS.has(specifier) && !BUILTINS.has(name) && !loaded.has(name)) loaded.set(name, [...chain, file]);
    }
  };
  visit(entry, []);
  return loaded;
}

/** Messages for each entry point of `rules` that loads a package it must leave to first use. */
export function eagerLoads(
  root: string,
  packages: { name: string; dir: string; manifest: { exports?: Record<string, unknown> } }[],
  rules: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>,
): { file: string; specifier: string; message: string }[] {
  const found: { file: string; specifier: string; message: string }[] = [];
  for (const pkg of packages) {
    for (const [subpath, forbidden] of Object.entries(rules[pkg.name] ?? {})) {
      const entry = sourceOfExport(
        pkg.dir,
        pkg.manifest.exports?.[subpath] ?? (subpath === '.' ? './dist/index.js' : undefined),
      );
      const shownEntry = `${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}`;
      if (!entry) {
        found.push({
          file: relative(root, join(pkg.dir, 'package.json')),
          specifier: subpath,
          message: `${shownEntry}: no source file found for this entry point (expected an export to ./dist/*.js)`,
        });
        continue;
      }
      for (const [name, chain] of packagesLoadedBy(entry)) {
        if (!forbidden.includes('*') && !forbidden.includes(name)) continue;
        const via = chain.map((file) => relative(pkg.dir, file)).join(' → ');
        found.push({
          file: relative(root, chain.at(-1)!),
          specifier: name,
          message:
            `importing ${shownEntry} loads "${name}" (${via}); load it on first use through the package's lazy ` +
            'registry instead',
        });
      }
    }
  }
  return found;
}
