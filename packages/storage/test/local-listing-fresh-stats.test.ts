/**
 * A local listing read page after page keeps its walk (see local-listing-reads), but describes each entry with a stat
 * taken during the page that lists it: a file written to between two pages (which leaves its folder's times as they
 * were) is listed with its size, time and etag of now, not those of a stat taken ahead for the page before.
 */
import { appendFile, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntryStat } from '@org/core';
import { entryOf, SETTLED_MS } from '../src/backends/local/list.js';
import { LocalBackend } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir();
  root = await realpath(dir.path);
  for (const folder of ['flat', 'tree/s']) await mkdir(join(root, folder), { recursive: true });
  for (const n of 'abcdefghij') {
    await writeFile(join(root, 'flat', n), 'x');
    await writeFile(join(root, 'tree', 's', n), 'x');
  }
  // Folders read within SETTLED_MS of their last change are not kept: wait so that the walks are kept.
  await new Promise((resolve) => setTimeout(resolve, SETTLED_MS + 200));
}, 20_000);
afterAll(async () => {
  await dir.cleanup();
});

async function expectNow(folder: string, entries: EntryStat[]): Promise<void> {
  for (const entry of entries) {
    const now = entryOf(entry.key, await stat(join(root, folder, entry.key.slice(folder.length + 1))));
    expect({ key: entry.key, size: entry.size, mtime: entry.mtime, etag: entry.etag }).toEqual({
      key: now.key,
      size: now.size,
      mtime: now.mtime,
      etag: now.etag,
    });
  }
}

describe('a kept local walk', () => {
  it.each([
    ['flat', false],
    ['tree', true],
  ])('lists files written to between pages as they are now (%s)', async (folder, recursive) => {
    const backend = new LocalBackend({ root, mountName: 'fresh' });
    const base = recursive ? `${folder}/s` : folder;
    let page = await backend.list(folder, { recursive, pageSize: 2 });
    const seen: EntryStat[] = [...page.entries];
    // c is the entry the walk peeked at, d one it described ahead; both written to after the page.
    await appendFile(join(root, base, 'c'), 'more data');
    await appendFile(join(root, base, 'd'), 'more data');
    let second = true;
    while (page.cursor !== undefined) {
      page = await backend.list(folder, { recursive, pageSize: 2, cursor: page.cursor });
      if (second) {
        const keys = page.entries.map((e) => e.key);
        expect(keys).toEqual(recursive ? [`${base}/b`, `${base}/c`] : [`${base}/c`, `${base}/d`]);
        second = false;
      }
      await expectNow(folder, page.entries);
      for (const n of 'efghij') await appendFile(join(root, base, n), 'y');
      seen.push(...page.entries);
    }
    expect(seen.filter((e) => e.isFile).map((e) => e.key)).toEqual([...'abcdefghij'].map((n) => `${base}/${n}`));
    const c = seen.find((e) => e.key === `${base}/c`)!;
    expect(c.size).toBe(10);
  });
});
