// A recursive S3 listing derives folder entries from the keys (each folder once, just before its first entry): a
// page still holds at most `pageSize` entries, folders included, and its cursor resumes exactly (also between a
// folder and its first file, or between two folders of one key), as Azure's and GCS's do (util/blob-tree.ts).
// Against the real radosgw, with a tree whose listing mixes folders, files, folder markers and a reported key.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import type { EntryStat, StorageBackend } from '@org/core';
import definition from '../src/backends/s3/index.js';
import { unreadableOf } from '../src/index.js';
import { s3Fixture } from './services/s3.js';

const { raw, bucket, connection, opened } = await s3Fixture('tree-pages');

const backend: StorageBackend = await definition.create(
  definition.options.parse({ ...connection, bucket, prefix: 'mount', forcePathStyle: true }),
  { mountName: 'pages', env: {} },
);
opened.push(backend);

/** Object keys below the mount's `tree` folder: deep chains of folders, markers (`name/`), a key no path names. */
const OBJECTS = [
  'tree/',
  'tree/a.txt',
  'tree/b/c/d/e.txt',
  'tree/b/c/f.txt',
  'tree/b/g/',
  'tree/b/h.txt',
  'tree/c-d.txt',
  'tree/c/x/y/z/w.txt',
  'tree/c/x/y/z2.txt',
  'tree/c/y.txt',
  'tree/e/',
  'tree/e/f/g/h/i.txt',
  'tree/u//v.txt',
  'tree/z.txt',
];

/** The one-shot listing, folders as `key/`, the reported key as `!key`. */
const LISTED = [
  'a.txt',
  'b/',
  'b/c/',
  'b/c/d/',
  'b/c/d/e.txt',
  'b/c/f.txt',
  'b/g/',
  'b/h.txt',
  'c-d.txt',
  'c/',
  'c/x/',
  'c/x/y/',
  'c/x/y/z/',
  'c/x/y/z/w.txt',
  'c/x/y/z2.txt',
  'c/y.txt',
  'e/',
  'e/f/',
  'e/f/g/',
  'e/f/g/h/',
  'e/f/g/h/i.txt',
  'u/',
  '!u//v.txt',
  'z.txt',
];

for (const key of OBJECTS) {
  await raw.send(
    new PutObjectCommand({ Bucket: bucket, Key: `mount/${key}`, Body: Buffer.from(key.endsWith('/') ? '' : key) }),
  );
}

const shown = (entry: EntryStat) => {
  const relative = entry.key.slice('tree/'.length);
  if (unreadableOf(entry)) return `!${relative}`;
  return entry.isDir ? `${relative}/` : relative;
};

describe('a recursive S3 listing page by page (radosgw)', () => {
  it('lists the tree in one page as S3 orders it', async () => {
    const whole = await backend.list('tree', { recursive: true, pageSize: 1000 });
    expect(whole.cursor).toBeUndefined();
    expect(whole.entries.map(shown)).toEqual(LISTED);
  });

  it.each([1, 2, 3, 4, 5])('pages of at most %i entries, every entry once, in the one-shot order', async (size) => {
    const whole = (await backend.list('tree', { recursive: true, pageSize: 1000 })).entries;
    const seen: EntryStat[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await backend.list('tree', { recursive: true, pageSize: size, cursor });
      expect(page.entries.length).toBeLessThanOrEqual(size);
      expect(page.entries.length).toBeGreaterThan(0);
      seen.push(...page.entries);
      cursor = page.cursor;
      expect(++pages).toBeLessThanOrEqual(LISTED.length);
    } while (cursor !== undefined);
    const keys = seen.map(shown);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(LISTED);
    expect(seen.map((e) => ({ key: e.key, isDir: e.isDir, size: e.size }))).toEqual(
      whole.map((e) => ({ key: e.key, isDir: e.isDir, size: e.size })),
    );
    // Full pages until the last: a page is never cut short of pageSize while entries remain.
    expect(pages).toBe(Math.ceil(LISTED.length / size));
  });

  it('a cursor given twice gives the same page twice', async () => {
    const first = await backend.list('tree', { recursive: true, pageSize: 2 });
    const a = await backend.list('tree', { recursive: true, pageSize: 3, cursor: first.cursor });
    const b = await backend.list('tree', { recursive: true, pageSize: 3, cursor: first.cursor });
    expect(a.entries.map(shown)).toEqual(['b/c/', 'b/c/d/', 'b/c/d/e.txt']);
    expect(b.entries.map(shown)).toEqual(a.entries.map(shown));
  });
});
