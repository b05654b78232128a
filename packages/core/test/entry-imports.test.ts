import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Value imports and re-exports of a module (`import type` / `export type` load nothing at run time). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\sfrom\s+)?'([^']+)'/gms))
    if (!m[1]) found.push(m[2]!);
  return found;
}

/** Every package (bare specifier) that loading `entry` loads, following the package's own modules. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

describe('what the entry points load', () => {
  it('@org/core does not load zod (every ufs command and hashing thread imports it); dedup-schema does', () => {
    const main = packagesLoadedBy(join(SRC, 'index.ts'));
    expect(main.has('node:crypto')).toBe(true); // the walk follows re-exports
    expect([...main].filter((p) => !p.startsWith('node:'))).toEqual([]);
    expect(packagesLoadedBy(join(SRC, 'dedup/file-metadata-schema.ts')).has('zod')).toBe(true);
  });
});
