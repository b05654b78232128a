// Entries deleted by another process while a recursive operation runs, on the real OpenSSH sshd (its files are this
// machine's files, removed here directly): SFTP has no recursive listing, so the generic walk (`walkPage`) lists the
// tree, and a recursive delete lists then unlinks folder by folder. Deletions happen at fixed points: between two
// pages of a lazily iterated listing, from the engine's `onFile` with concurrency 1, or right after the server
// answered a folder's READDIR (before the backend sees the answer).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SftpConnection, SFTPWrapper } from '../src/backends/sftp/connection.js';
import { SftpBackend } from '../src/backends/sftp/index.js';
import { moveEmptyFolders } from '../src/copy/prune.js';
import { StorageManager } from '../src/index.js';
import { sftpConnectionAt } from './services/sftp.js';
import { tempDir, tree } from './helpers.js';

const { connection, base, close } = await sftpConnectionAt('ufs-sftp-vanished-');
afterAll(close, 30_000);

/** Run right after the server answered the first READDIR of a remote path, before the backend gets the answer. */
const afterReaddir = new Map<string, () => void>();
const real = await connection.session();
const sftp = new Proxy(real.sftp, {
  get: (target, p) => {
    const value: unknown = Reflect.get(target, p, target);
    if (typeof value !== 'function') return value;
    if (p !== 'readdir') return value.bind(target) as unknown;
    return (path: string, cb: (err: unknown, list: unknown) => void) =>
      (value as (...a: unknown[]) => unknown).call(target, path, (err: unknown, list: unknown) => {
        const hook = afterReaddir.get(path);
        afterReaddir.delete(path); // once: the hook of a folder runs at its first READDIR only
        try {
          hook?.();
        } finally {
          cb(err, list);
        }
      });
  },
}) as SFTPWrapper;
/** The real connection's session with that hook; the connection itself is closed once, at the end (`close`). */
const session = { ...real, sftp };
const hooked = {
  session: () => Promise.resolve(session),
  dispose: () => Promise.resolve(),
} as unknown as SftpConnection;

let local: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
beforeEach(async () => {
  rmSync(join(base, 'src'), { recursive: true, force: true });
  rmSync(join(base, 'dest'), { recursive: true, force: true });
  afterReaddir.clear();
  local = await tempDir('ufs-vanished-sftp-local-');
  storage = new StorageManager();
  await storage.mountBackend('sftp', new SftpBackend(hooked, { mountName: 'sftp', fsync: false }));
  await storage.configure([{ name: 'local', protocol: 'local', root: local.path }]);
});
afterEach(async () => {
  await storage.dispose();
  await local.cleanup();
});

function seed(files: string[], folders: string[] = []): void {
  for (const folder of folders) mkdirSync(join(base, folder), { recursive: true });
  for (const file of files) {
    mkdirSync(dirname(join(base, file)), { recursive: true });
    writeFileSync(join(base, file), file);
  }
}

function vanish(path: string): void {
  rmSync(join(base, path), { recursive: true });
}

describe('recursive listing (the generic walk)', () => {
  it('a folder deleted after it was listed, before it is entered, is skipped; the walk goes on', async () => {
    seed(['src/a/1.txt', 'src/b/deep/3.txt', 'src/b/4.txt', 'src/c.txt']);
    const seen: string[] = [];
    for await (const node of storage.node('sftp:src').list({ recursive: true, pageSize: 1 })) {
      seen.push(`${node.path}${node.listed?.isDir ? '/' : ''}`);
      if (node.path === 'src/b') vanish('src/b');
    }
    expect(seen).toEqual(['src/a/', 'src/b/', 'src/c.txt', 'src/a/1.txt']);
  });

  it('a folder replaced by a file before it is entered is skipped; the walk goes on', async () => {
    seed(['src/a/1.txt', 'src/b/2.txt', 'src/c.txt']);
    const seen: string[] = [];
    for await (const node of storage.node('sftp:src').list({ recursive: true, pageSize: 1 })) {
      seen.push(node.path);
      if (node.path !== 'src/b') continue;
      vanish('src/b');
      writeFileSync(join(base, 'src/b'), 'a file now');
    }
    expect(seen).toEqual(['src/a', 'src/b', 'src/c.txt', 'src/a/1.txt']);
  });

  it('the listed folder itself deleted between two pages: the listing ends, without an error', async () => {
    seed(['src/a/1.txt', 'src/b/2.txt']);
    const seen: string[] = [];
    for await (const node of storage.node('sftp:src').list({ recursive: true, pageSize: 1 })) {
      seen.push(node.path);
      if (node.path === 'src/a') vanish('src');
    }
    // b was read with a (SFTP reads a folder whole), but the folder is gone at the next page: b is not handed out as
    // present (as on a local mount); nothing below either is reached.
    expect(seen).toEqual(['src/a']);
  });
});

describe('recursive delete', () => {
  it('entries gone between the listing of their folder and their removal count as removed', async () => {
    seed(['src/x.txt', 'src/y.txt', 'src/sub/z.txt', 'src/sub2/w.txt']);
    afterReaddir.set(join(base, 'src'), () => {
      vanish('src/y.txt');
      vanish('src/sub');
    });
    await storage.node('sftp:src').delete({ recursive: true });
    expect(await storage.node('sftp:src').exists()).toBe(false);
    expect(afterReaddir.size).toBe(0); // the hook ran
  });

  it('emptying the mount root: entries already gone count as removed, the rest is removed', async () => {
    seed(['x.txt', 'top.txt', 'sub/deep/z.txt', 'keep/w.txt']);
    afterReaddir.set(base, () => {
      vanish('top.txt');
      vanish('sub');
    });
    await storage.node('sftp:').delete({ recursive: true });
    expect(await tree(base)).toEqual([]);
    expect(afterReaddir.size).toBe(0);
  });
});

describe('copy and move of a tree', () => {
  it.each([
    ['copyTo', 'local:dest'],
    ['moveTo', 'local:dest'],
    ['moveTo', 'sftp:dest'],
  ] as const)('%s %s: each vanished file is NOT_FOUND, the others arrive', async (method, to) => {
    seed(['src/a.txt', 'src/b.txt', 'src/sub/c.txt', 'src/z.txt']);
    const summary = await storage.node('sftp:src')[method](storage.node(to), {
      concurrency: 1,
      onFile: (event) => {
        if (event.src.fullpath !== 'sftp:src/a.txt') return;
        vanish('src/b.txt');
        vanish('src/sub');
      },
    });
    expect(summary.errors.map((e) => [e.path, e.error.code]).sort()).toEqual([
      ['sftp:src/b.txt', 'NOT_FOUND'],
      ['sftp:src/sub/c.txt', 'NOT_FOUND'],
    ]);
    expect(summary.files).toBe(2);
    expect(await tree(to.startsWith('local:') ? join(local.path, 'dest') : join(base, 'dest'))).toEqual([
      'a.txt',
      'z.txt',
    ]);
  });
  it('a folder gone or replaced by a file before the walk enters it: the rest of the tree is copied', async () => {
    seed(['src/a.txt', 'src/b/1.txt', 'src/c/2.txt', 'src/d/3.txt']);
    afterReaddir.set(join(base, 'src'), () => {
      vanish('src/b');
      writeFileSync(join(base, 'src/b'), 'a file now');
      vanish('src/c');
    });
    const summary = await storage.node('sftp:src').copyTo(storage.node('local:dest'), { concurrency: 1 });
    expect(afterReaddir.size).toBe(0);
    expect(summary.errors).toEqual([]);
    expect(await tree(join(local.path, 'dest'))).toEqual(['a.txt', 'd', 'd/3.txt']);
  });
});

describe('moving the empty folders of a moved tree', () => {
  it('a folder gone between its parent listing and its visit is not a failure, and is not made', async () => {
    seed([], ['src/a/empty', 'src/b/empty', 'src/c']);
    afterReaddir.set(join(base, 'src/a'), () => {
      vanish('src/b');
      vanish('src/c');
    });
    const failures = await moveEmptyFolders(storage.node('sftp:src'), storage.node('local:dest'));
    expect(afterReaddir.size).toBe(0);
    expect(failures).toEqual([]);
    expect(await tree(join(local.path, 'dest'))).toEqual(['a', 'a/empty']);
    expect(await storage.node('sftp:src').exists()).toBe(false);
  });
});
