import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Import specifiers of one source file: static imports, re-exports, `import()` with a literal, `require()`. */
export function importsOf(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

const SOURCE = /\.(c|m)?tsx?$|\.(c|m)?jsx?$/;

/** Every source file below `dir`, skipping build output and dependencies. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (['node_modules', 'dist', 'coverage', '.turbo', 'fixtures'].includes(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; `node:fs` → `node:fs`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
