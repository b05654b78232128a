/**
 * A local listing read page after page reads each folder once (the walk is kept between pages), not once a page:
 * folder reads are counted through the `ufs:local:readdir` diagnostics channel, on real folders.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { EntryStat, ListOptions, ListPage } from '@org/core';
import { READDIR_CHANNEL, SETTLED_MS } from '../src/backends/local/list.js';
import { LocalBackend, StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';

const FILES = 2500;
const FOLDERS = 10;
const PER_FOLDER = 120;

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let backend: LocalBackend;
let storage: StorageManager;
/** Folder reads since the test began, by real path. */
let reads: Map<string, number>;
const onRead = (message: unknown) => {
  const { path } = message as { path: string };
  reads.set(path, (reads.get(path) ?? 0) + 1);
};

const name = (i: number) => `f${String(i).padStart(5, '0')}.txt`;

beforeAll(async () => {
  dir = await tempDir();
  root = await realpath(dir.path);
  await mkdir(join(root, 'big'));
  for (let i = 0; i < FILES; i += 250)
    await Promise.all(Array.from({ length: 250 }, (_, j) => writeFile(join(root, 'big', name(i + j)), 'x'.repeat(j))));
  // Two of our temporary files, listed only with includeTemporary.
  await writeFile(join(root, 'big', '.ufs-0123456789abcdef.tmp'), '');
  await writeFile(join(root, 'big', '.ufs-fedcba9876543210.tmp'), '');
  for (let d = 0; d < FOLDERS; d++) {
    await mkdir(join(root, 'tree', `d${d}`), { recursive: true });
    await Promise.all(
      Array.from({ length: PER_FOLDER }, (_, i) => writeFile(join(root, 'tree', `d${d}`, name(i)), '')),
    );
  }
  await mkdir(join(root, 'changing'));
  for (let i = 0; i < 300; i += 2) await writeFile(join(root, 'changing', name(i)), '');
  for (const sub of ['a', 'b']) {
    await mkdir(join(root, 'nested', sub), { recursive: true });
    for (let i = 0; i < 40; i += 2) await writeFile(join(root, 'nested', sub, name(i)), '');
  }
  // A folder read within SETTLED_MS of its last change may miss a change made in the same tick: its walk is not kept.
  await new Promise((resolve) => setTimeout(resolve, SETTLED_MS + 200));
  subscribe(READDIR_CHANNEL, onRead);
});
afterAll(async () => {
  unsubscribe(READDIR_CHANNEL, onRead);
  await dir.cleanup();
});
beforeEach(async () => {
  reads = new Map();
  backend = new LocalBackend({ root, mountName: 'reads' });
  storage = new StorageManager();
  await storage.configure([{ name: 'reads', protocol: 'local', root }]);
});
afterEach(async () => {
  await storage.dispose();
});

/** Every page of `key`, following cursors. */
async function pages(key: string, options: ListOptions): Promise<EntryStat[][]> {
  const out: EntryStat[][] = [];
  let cursor = options.cursor;
  do {
    const page = await backend.list(key, { ...options, cursor });
    out.push(page.entries);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

const keys = (entries: EntryStat[]) => entries.map((e) => e.key);

describe('a local listing read page after page', () => {
  it('reads the folder once, not once a page, and pages it exactly as one page would', async () => {
    const paged = await pages('big', { pageSize: 100 });
    expect(paged).toHaveLength(FILES / 100);
    expect(paged.every((p) => p.length === 100)).toBe(true);
    expect(Object.fromEntries(reads)).toEqual({ [join(root, 'big')]: 1 });
    const whole = (await backend.list('big', { pageSize: FILES + 10 })).entries;
    expect(keys(paged.flat())).toEqual(keys(whole));
    expect(keys(whole)).toEqual(Array.from({ length: FILES }, (_, i) => `big/${name(i)}`));
    // The entries are described as without paging: sizes and times of each file.
    expect(paged.flat()).toEqual(whole);
    expect(whole[7]).toMatchObject({ isFile: true, size: 7 });
    expect(whole[7]!.mtime?.getTime()).toBe((await stat(join(root, 'big', name(7)))).mtime.getTime());
  });

  it('reads it once through the node iterator (list() and ufs ls), temporary files shown or not', async () => {
    const listed: string[] = [];
    for await (const node of storage.node('reads:big').list({ pageSize: 100 })) listed.push(node.path);
    expect(listed).toHaveLength(FILES);
    const temporary = await pages('big', { pageSize: 100, includeTemporary: true });
    expect(keys(temporary.flat()).filter((k) => k.includes('.ufs-'))).toEqual([
      'big/.ufs-0123456789abcdef.tmp',
      'big/.ufs-fedcba9876543210.tmp',
    ]);
    expect(temporary.flat()).toHaveLength(FILES + 2);
    expect(Object.fromEntries(reads)).toEqual({ [join(root, 'big')]: 2 });
  });

  it('reads each folder of a recursive listing once', async () => {
    const paged = (await pages('tree', { pageSize: 50, recursive: true })).flat();
    expect(paged).toHaveLength(FOLDERS * (PER_FOLDER + 1));
    const expected = [...reads.keys()].sort();
    expect(expected).toEqual([
      join(root, 'tree'),
      ...Array.from({ length: FOLDERS }, (_, d) => join(root, 'tree', `d${d}`)).sort(),
    ]);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    const whole = (await backend.list('tree', { recursive: true, pageSize: 100_000 })).entries;
    expect(keys(paged)).toEqual(keys(whole));
  });

  it('a cursor given twice gives the same page twice (the second reads the folder again)', async () => {
    const first = await backend.list('big', { pageSize: 100 });
    const a = await backend.list('big', { pageSize: 100, cursor: first.cursor });
    const b = await backend.list('big', { pageSize: 100, cursor: first.cursor });
    expect(keys(b.entries)).toEqual(keys(a.entries));
    expect(b.cursor).toBe(a.cursor);
    expect(reads.get(join(root, 'big'))).toBe(2);
  });

  it('keeps the walks of 16 listings: the oldest of 17 reads its folder again, and every one goes on exactly', async () => {
    const firsts: ListPage[] = [];
    for (let size = 1; size <= 17; size++) firsts.push(await backend.list('big', { pageSize: size }));
    expect(reads.get(join(root, 'big'))).toBe(17);
    const next = async (size: number) =>
      keys((await backend.list('big', { pageSize: 3, cursor: firsts[size - 1]!.cursor })).entries);
    expect(await next(17)).toEqual([17, 18, 19].map((i) => `big/${name(i)}`));
    expect(reads.get(join(root, 'big'))).toBe(17);
    expect(await next(1)).toEqual([1, 2, 3].map((i) => `big/${name(i)}`));
    expect(reads.get(join(root, 'big'))).toBe(18);
  });

  it('a folder changed between two pages is read again: what was added is seen, what was removed is not', async () => {
    const first = await backend.list('changing', { pageSize: 10 });
    expect(keys(first.entries).at(-1)).toBe(`changing/${name(18)}`);
    await writeFile(join(root, 'changing', name(21)), '');
    await rm(join(root, 'changing', name(22)));
    const rest = (await pages('changing', { pageSize: 10, cursor: first.cursor })).flat();
    const expected = [21, ...Array.from({ length: 140 }, (_, i) => 20 + 2 * i).filter((i) => i !== 22)].sort(
      (x, y) => x - y,
    );
    expect(keys(rest)).toEqual(expected.map((i) => `changing/${name(i)}`));
    // Read again at the next page (and at each page while the change is recent: see SETTLED_MS).
    expect(reads.get(join(root, 'changing'))).toBeGreaterThanOrEqual(2);
  });

  it('a recursive listing sees a change between two pages of a folder below the listed one it was in', async () => {
    const first = await backend.list('nested', { pageSize: 10, recursive: true });
    expect(keys(first.entries).at(-1)).toBe(`nested/a/${name(16)}`);
    await writeFile(join(root, 'nested', 'a', name(21)), '');
    const rest = (await pages('nested', { pageSize: 10, recursive: true, cursor: first.cursor })).flat();
    expect(keys(rest)).toEqual([
      ...[18, 20, 21, ...Array.from({ length: 9 }, (_, i) => 22 + 2 * i)].map((i) => `nested/a/${name(i)}`),
      'nested/b',
      ...Array.from({ length: 20 }, (_, i) => `nested/b/${name(2 * i)}`),
    ]);
  });
});
