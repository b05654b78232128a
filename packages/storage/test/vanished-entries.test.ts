// Entries that another process deletes while a recursive operation runs over a real local tree (between the moment
// they were listed and the moment they are visited): a recursive listing (native, and the generic walk of backends
// without one) skips them, a copy or move reports each vanished file as NOT_FOUND and goes on with the others, and
// the removal of emptied folders after a move treats a folder that is already gone as removed. The deletions happen
// at fixed points: between two pages of a lazily iterated listing, from the engine's `onFile` with concurrency 1,
// or from a layer hook at the exact backend call.
import { rmSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { moveNode } from '../src/copy/index.js';
import { moveEmptyFolders } from '../src/copy/prune.js';
import { interceptBackend, LocalBackend, StorageManager, walkPage, type StorageNode } from '../src/index.js';
import { tempDir, tree } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
/** The real folder of the `local` mount. */
let root: string;

beforeEach(async () => {
  dir = await tempDir('ufs-vanished-');
  root = join(dir.path, 'local');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root },
    { name: 'other', protocol: 'local', root: join(dir.path, 'other') },
  ]);
  // The same real folder through the generic walk (`walkPage`): a local backend that declares no recursive listing.
  const local = new LocalBackend({ root, mountName: 'walked' });
  await storage.mountBackend(
    'walked',
    interceptBackend(local, (_call, next) => next(), {
      capabilities: { ...local.capabilities, recursiveList: false },
    }),
  );
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Writes files (their own path as text) below the mount's real folder. */
async function seed(files: string[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), file);
  }
}

/** Removes a file or a whole folder from the real tree, as another process would. */
function vanish(path: string): Promise<void> {
  return rm(join(root, path), { recursive: true });
}

/** The paths a recursive listing yields (folders end in `/`), deleting `deletions[path]` right after `path` came. */
async function listDeleting(folder: StorageNode, deletions: Record<string, string[]>): Promise<string[]> {
  const seen: string[] = [];
  for await (const node of folder.list({ recursive: true, pageSize: 1 })) {
    seen.push(`${node.path}${node.listed?.isDir ? '/' : ''}`);
    for (const path of deletions[node.path] ?? []) await vanish(path);
  }
  return seen;
}

describe('recursive listing', () => {
  const files = ['src/a/1.txt', 'src/a/2.txt', 'src/b/deep/3.txt', 'src/b/4.txt', 'src/c.txt'];

  // The native listing is depth first (b not reached yet when a/1.txt comes), the walk breadth first (b listed, not
  // entered yet).
  it.each([
    ['local', ['src/a/', 'src/a/1.txt', 'src/c.txt']],
    ['walked', ['src/a/', 'src/b/', 'src/c.txt', 'src/a/1.txt']],
  ])(
    '%s: a folder deleted while the listing is inside it, or before it is entered, is skipped',
    async (mount, want) => {
      await seed(files);
      const deletions = { 'src/a/1.txt': ['src/a', 'src/b'] };
      expect(await listDeleting(storage.node(`${mount}:src`), deletions)).toEqual(want);
    },
  );

  it.each(['local', 'walked'])('%s: a folder deleted right after it was listed is skipped', async (mount) => {
    await seed(files);
    const seen = await listDeleting(storage.node(`${mount}:src`), { 'src/b': ['src/b'] });
    expect(seen.sort()).toEqual(['src/a/', 'src/a/1.txt', 'src/a/2.txt', 'src/b/', 'src/c.txt']);
  });

  it.each(['local', 'walked'])('%s: a folder replaced by a file before it is entered is skipped', async (mount) => {
    await seed(files);
    const seen: string[] = [];
    for await (const node of storage.node(`${mount}:src`).list({ recursive: true, pageSize: 1 })) {
      seen.push(node.path);
      if (node.path !== 'src/b') continue;
      await vanish('src/b');
      await writeFile(join(root, 'src/b'), 'a file now');
    }
    expect(seen.sort()).toEqual(['src/a', 'src/a/1.txt', 'src/a/2.txt', 'src/b', 'src/c.txt']);
  });

  it('walkPage: a queued folder that is gone when its turn comes adds nothing and ends nothing', async () => {
    await seed(files);
    const backend = new LocalBackend({ root, mountName: 'direct' });
    const first = await walkPage(backend, 'src', { pageSize: 2 });
    expect(first.entries.map((e) => e.key)).toEqual(['src/a', 'src/b']);
    await vanish('src/a');
    await vanish('src/b');
    const rest: string[] = [];
    let cursor = first.cursor;
    while (cursor !== undefined) {
      const page = await walkPage(backend, 'src', { pageSize: 2, cursor });
      rest.push(...page.entries.map((e) => e.key));
      cursor = page.cursor;
    }
    expect(rest).toEqual(['src/c.txt']);
  });

  it('the listed folder itself deleted between two pages: the listing ends, without an error', async () => {
    for (const mount of ['local', 'walked']) {
      await seed(files);
      const seen = await listDeleting(storage.node(`${mount}:src`), { 'src/a': ['src'] });
      expect(seen).toEqual(['src/a/']);
    }
  });
});

describe('copy and move of a tree', () => {
  const files = ['src/a.txt', 'src/b.txt', 'src/sub/c.txt', 'src/sub/d.txt', 'src/z.txt'];

  it.each([
    ['copy', 'local:dest', 'copyTo'],
    ['copy', 'other:dest', 'copyTo'],
    ['move', 'local:dest', 'moveTo'],
    ['move', 'other:dest', 'moveTo'],
  ] as const)('%s to %s: each vanished file is NOT_FOUND, the others arrive', async (_op, to, method) => {
    await seed(files);
    const dest = storage.node(to);
    const summary = await storage.node('local:src')[method](dest, {
      concurrency: 1,
      onFile: (event) => {
        if (event.src.fullpath === 'local:src/a.txt') {
          rmSync(join(root, 'src/b.txt'));
          rmSync(join(root, 'src/sub'), { recursive: true });
        }
      },
    });
    expect(summary.files).toBe(2);
    expect(summary.skipped).toBe(0);
    const failed = summary.errors.map((e) => [e.path, e.error.code]).sort();
    expect(failed).toEqual([
      ['local:src/b.txt', 'NOT_FOUND'],
      ['local:src/sub/c.txt', 'NOT_FOUND'],
      ['local:src/sub/d.txt', 'NOT_FOUND'],
    ]);
    const destRoot = to.startsWith('local:') ? join(root, 'dest') : join(dir.path, 'other', 'dest');
    // Nothing of the vanished files at the destination: no file, no temporary file, no folder made for them.
    expect(await tree(destRoot)).toEqual(['a.txt', 'z.txt']);
    if (method === 'moveTo') expect(await readdir(join(root, 'src')).catch(() => [])).toEqual([]);
  });
  it.each([
    ['copy', 'hooked:dest', 'copyTo'],
    ['copy', 'other:dest', 'copyTo'],
    ['move', 'hooked:dest', 'moveTo'],
    ['move', 'other:dest', 'moveTo'],
  ] as const)('%s to %s: a file gone between its stat and its transfer is NOT_FOUND', async (_op, to, method) => {
    await seed(files);
    // Right after the engine stat'ed sub/c.txt, another process removes it.
    const local = new LocalBackend({ root, mountName: 'hooked' });
    await storage.mountBackend(
      'hooked',
      interceptBackend(local, async (call, next) => {
        const result = await next();
        if (call.op === 'stat' && call.key === 'src/sub/c.txt') await vanish('src/sub/c.txt');
        return result;
      }),
    );
    const summary = await storage.node('hooked:src')[method](storage.node(to), { concurrency: 1 });
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['hooked:src/sub/c.txt', 'NOT_FOUND']]);
    expect(summary.files).toBe(4);
    const destRoot = to.startsWith('hooked:') ? join(root, 'dest') : join(dir.path, 'other', 'dest');
    expect(await tree(destRoot)).toEqual(['a.txt', 'b.txt', 'sub', 'sub/d.txt', 'z.txt']);
  });
});

describe('removing the folders a move leaves empty', () => {
  it('a folder the move emptied that is gone before it is removed is not a failure', async () => {
    await seed(['src/x/1.txt', 'src/y/2.txt']);
    const summary = await moveNode(storage.node('local:src'), storage.node('other:dest'), {
      concurrency: 1,
      // x is emptied by the move of its only file; another process removes it before the move prunes it.
      onFile: (event) => {
        if (event.src.fullpath === 'local:src/y/2.txt') rmSync(join(root, 'src/x'), { recursive: true });
      },
    });
    expect(summary.errors).toEqual([]);
    expect(summary.files).toBe(2);
    expect(await tree(join(dir.path, 'other', 'dest'))).toEqual(['x', 'x/1.txt', 'y', 'y/2.txt']);
  });

  it('moveEmptyFolders: a folder gone between its parent listing and its visit is not a failure', async () => {
    for (const folder of ['src/a/empty', 'src/b/empty', 'src/c']) await mkdir(join(root, folder), { recursive: true });
    // When the walk lists src/a, another process removes src/b (already listed by src) and src/c.
    const local = new LocalBackend({ root, mountName: 'hooked' });
    await storage.mountBackend(
      'hooked',
      interceptBackend(local, async (call, next) => {
        if (call.op === 'list' && call.key === 'src/a') {
          await vanish('src/b');
          await vanish('src/c');
        }
        return next();
      }),
    );
    const failures = await moveEmptyFolders(storage.node('hooked:src'), storage.node('other:dest'));
    expect(failures).toEqual([]);
    expect(await readdir(root)).toEqual([]);
    expect(await tree(join(dir.path, 'other', 'dest'))).toEqual(['a', 'a/empty']);
  });
});
