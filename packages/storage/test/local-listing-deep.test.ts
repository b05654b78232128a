/**
 * A local listing walks a tree of any depth the file system allows: the walk keeps its folders on a stack of its
 * own, not one generator (and JavaScript stack frames) a level, which overflowed at about 1,300 levels.
 */
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntryStat } from '@org/core';
import { LocalBackend } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let backend: LocalBackend;
/** As deep as the paths fit in PATH_MAX (4,096), up to 3,000 levels of `a`. */
let depth: number;

beforeAll(async () => {
  dir = await tempDir();
  const root = await realpath(dir.path);
  depth = Math.min(3000, Math.floor((4000 - root.length - '/deep/leaf'.length) / 2));
  const bottom = join(root, 'deep', ...Array.from({ length: depth }, () => 'a'));
  await mkdir(bottom, { recursive: true });
  await writeFile(join(bottom, 'leaf'), 'x');
  backend = new LocalBackend({ root, mountName: 'deep' });
});
afterAll(async () => {
  await dir.cleanup();
});

const keyAt = (level: number) => ['deep', ...Array.from({ length: level }, () => 'a')].join('/');

describe('a recursive local listing of a deep tree', () => {
  it('is at least 1,800 levels deep here (well past where the nested walk overflowed)', () => {
    expect(depth).toBeGreaterThanOrEqual(1800);
  });

  it('lists every level and the leaf in one page', async () => {
    const page = await backend.list('deep', { recursive: true, pageSize: 10_000 });
    expect(page.cursor).toBeUndefined();
    expect(page.entries).toHaveLength(depth + 1);
    expect(page.entries[0]!.key).toBe(keyAt(1));
    expect(page.entries[depth - 1]!.key).toBe(keyAt(depth));
    const leaf = page.entries[depth]!;
    expect(leaf.key).toBe(`${keyAt(depth)}/leaf`);
    expect(leaf.isFile).toBe(true);
    expect(leaf.size).toBe(1);
  });

  it('lists it page after page, with fresh walks from the cursor and kept ones alike', async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await backend.list('deep', { recursive: true, pageSize: 700, cursor });
      keys.push(...page.entries.map((e: EntryStat) => e.key));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(keys).toHaveLength(depth + 1);
    expect(keys[keys.length - 1]).toBe(`${keyAt(depth)}/leaf`);
    // A walk from a cursor of another backend (no kept walk) resumes at that depth too.
    const other = new LocalBackend({ root: await realpath(dir.path), mountName: 'deep' });
    const first = await backend.list('deep', { recursive: true, pageSize: depth });
    const rest = await other.list('deep', { recursive: true, pageSize: 10, cursor: first.cursor });
    expect(rest.entries.map((e) => e.key)).toEqual([`${keyAt(depth)}/leaf`]);
    expect(rest.cursor).toBeUndefined();
  });
});
