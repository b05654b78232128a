// A recursive listing of Azure or GCS lists the folders it passes (each once, just before its first entry), as S3's
// does: `ls -r` shows `a/`, `a/b/`, `.hidden/` with the files, and `--glob 'a/*'` finds `a/b`. Pages stay at most
// `pageSize` entries (on S3 too) and their cursors resume exactly, also between a folder and its first file. Folder
// markers (`name/`, made by other tools) list as their folder. A tree copy still copies files only (no folder markers
// made). Against radosgw, azurite and the fake GCS JSON API.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';
import { startBlobStores } from './services/blob-stores.js';
import { s3Fixture } from './services/s3.js';

const fixture = await s3Fixture('tree-folders');
const stores = await startBlobStores('tree');
afterAll(() => stores.stop());

let run = 0;
let prefix = '';
let storage: StorageManager;
beforeEach(async () => {
  prefix = `run-${++run}-${randomBytes(3).toString('hex')}`;
  storage = new StorageManager({ env: {} });
  await storage.configure([
    { name: 's3', protocol: 's3', bucket: fixture.bucket, prefix, ...fixture.connection, forcePathStyle: true },
    ...stores.mounts(prefix),
  ]);
});
afterEach(() => storage.dispose());

const MOUNTS = ['s3', 'az', 'gcs'] as const;
const FILES = ['.env', '.hidden/h.txt', 'README.md', 'a-b.txt', 'a/b/two.md', 'a/one.txt', 'p/q/r/s.txt', 'z.txt'];
/** The tester's tree as S3 lists it: each folder once, just before its first entry, in name (byte) order. */
const LISTED = [
  '.env',
  '.hidden/',
  '.hidden/h.txt',
  'README.md',
  'a-b.txt',
  'a/',
  'a/b/',
  'a/b/two.md',
  'a/one.txt',
  'p/',
  'p/q/',
  'p/q/r/',
  'p/q/r/s.txt',
  'z.txt',
];

async function seed(mount: string): Promise<void> {
  for (const file of FILES) await storage.node(`${mount}:tree/${file}`).writeText(file);
}

/** A listing's nodes as `key` or `key/` (folders), relative to `tree`. */
async function listed(path: string, options: { glob?: string } = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const node of storage.node(path).list({ recursive: true, ...options }))
    out.push(`${node.path.slice('tree/'.length)}${node.listed?.isDir ? '/' : ''}`);
  return out;
}

describe.each(MOUNTS)('a recursive listing on %s', (mount) => {
  it('lists the folders it passes with the files, as S3 does', async () => {
    await seed(mount);
    expect(await listed(`${mount}:tree`)).toEqual(LISTED);
    expect(await listed(`${mount}:tree`, { glob: 'a/*' })).toEqual(['a/b/', 'a/one.txt']);
    const folder = (await storage.node(`${mount}:tree`).listPage({ recursive: true })).nodes.find(
      (node) => node.path === 'tree/p/q',
    );
    expect(folder?.listed).toEqual({ isFile: false, isDir: true, size: 0 });
  });

  it('pages of at most pageSize entries, every entry once, in the same order, at any page size', async () => {
    await seed(mount);
    for (const pageSize of [1, 2, 3, 4, 5, 13, 14, 1000]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await storage.node(`${mount}:tree`).listPage({ recursive: true, pageSize, cursor });
        expect(page.nodes.length).toBeLessThanOrEqual(pageSize);
        seen.push(...page.nodes.map((node) => `${node.path.slice('tree/'.length)}${node.listed?.isDir ? '/' : ''}`));
        cursor = page.cursor;
        expect(++pages).toBeLessThan(40);
      } while (cursor !== undefined);
      expect({ pageSize, seen }).toEqual({ pageSize, seen: LISTED });
    }
  });

  it('lists a folder of many files over many service pages exactly', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `d${i % 3}/e${i % 2}/f${String(i).padStart(2, '0')}.txt`);
    await Promise.all(names.map((name) => storage.node(`${mount}:tree/${name}`).writeText(name)));
    const expected = (await listed(`${mount}:tree`)).filter((key) => !key.endsWith('/'));
    expect(expected).toEqual([...names].sort());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.node(`${mount}:tree`).listPage({ recursive: true, pageSize: 5, cursor });
      seen.push(...page.nodes.map((node) => `${node.path.slice('tree/'.length)}${node.listed?.isDir ? '/' : ''}`));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(await listed(`${mount}:tree`));
    expect(seen.filter((key) => key.endsWith('/'))).toEqual([
      'd0/',
      'd0/e0/',
      'd0/e1/',
      'd1/',
      'd1/e0/',
      'd1/e1/',
      'd2/',
      'd2/e0/',
      'd2/e1/',
    ]);
  });
});

describe.each(['az', 'gcs'] as const)('on %s', (mount) => {
  /** Writes blobs as other tools do, folder markers (`name/`) included. */
  const putRaw = (name: string) => stores.putRaw(mount, `${prefix}/${name}`);

  it('a folder marker lists as its folder, once; the listed folder’s own marker is passed over', async () => {
    for (const name of ['tree/', 'tree/empty/', 'tree/m/', 'tree/m/f.txt', 'tree/m/n/', 'tree/m/n/g.txt'])
      await putRaw(name);
    expect(await listed(`${mount}:tree`)).toEqual(['empty/', 'm/', 'm/f.txt', 'm/n/', 'm/n/g.txt']);
    for (const pageSize of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await storage.node(`${mount}:tree`).listPage({ recursive: true, pageSize, cursor });
        seen.push(...page.nodes.map((node) => node.path));
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(['tree/empty', 'tree/m', 'tree/m/f.txt', 'tree/m/n', 'tree/m/n/g.txt']);
    }
  });

  it('a tree copy to S3 and to a local folder copies the files only (no folder markers); delete still empties it', async () => {
    await seed(mount);
    const summary = await storage.node(`${mount}:tree`).copyTo(storage.node('s3:copy'));
    expect(summary).toMatchObject({ files: FILES.length, errors: [] });
    const keys = await fixture.raw.send(
      new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: `${prefix}/copy/` }),
    );
    expect((keys.Contents ?? []).map((o) => o.Key!.slice(`${prefix}/copy/`.length)).sort()).toEqual([...FILES].sort());
    const out = await tempDir('ufs-tree-folders-');
    try {
      await storage.configure([{ name: 'out', protocol: 'local', root: out.path }]);
      await storage.node(`${mount}:tree`).copyTo(storage.node('out:'));
      const local = await readdir(out.path, { recursive: true, withFileTypes: true });
      expect(
        local
          .filter((d) => d.isFile())
          .map((d) => join(d.parentPath, d.name).slice(out.path.length + 1))
          .sort(),
      ).toEqual([...FILES].sort());
    } finally {
      await out.cleanup();
    }
    await storage.node(`${mount}:tree`).delete({ recursive: true });
    expect(await listed(`${mount}:tree`)).toEqual([]);
  });
});
