// Same-backend copies are server-side (no byte read or written here); moves use a native rename when there is one,
// else copy + delete. Counting wrappers around the real backends prove which path ran.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { copyNode, moveNode, type CopyFileEvent } from '../src/copy/index.js';
import { LocalBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { counting, failingReads, withoutRename } from './copy-helpers.js';
import { rejectsWith, tempDir, tree } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-copy-move-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'memory', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const FILES = { 'a.txt': 'alpha', 'docs/b.txt': 'bravo', 'docs/deep/c.txt': 'charlie', 'img/d.bin': 'delta' };

async function seed(root: StorageNode, files: Record<string, string> = FILES): Promise<void> {
  for (const [path, text] of Object.entries(files)) await root.child(path).writeText(text);
}

async function contents(root: StorageNode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const node of root.list({ recursive: true }))
    if (node.listed?.isFile) out[node.path.slice(root.path.length + 1)] = await node.readText();
  return out;
}

const KINDS: [string, () => StorageBackend][] = [
  ['memory', () => new MemoryBackend({ mountName: 'counted' })],
  ['local', () => new LocalBackend({ root: join(dir.path, 'counted'), mountName: 'counted' })],
];

describe.each(KINDS)('on one %s mount', (_, make) => {
  let calls: ReturnType<typeof counting>['calls'];
  const node = (path: string) => storage.node(`counted:${path}`);
  const ops = () => ({
    read: calls.read ?? 0,
    write: calls.write ?? 0,
    copy: calls.copy ?? 0,
    rename: calls.rename ?? 0,
  });

  beforeEach(async () => {
    const wrapped = counting(make());
    calls = wrapped.calls;
    await storage.mountBackend('counted', wrapped.backend);
    await seed(node('src'));
    for (const key of Object.keys(calls)) delete calls[key as keyof typeof calls];
  });

  it('a tree copy is server-side: backend copy per file, no read or write stream', async () => {
    const methods: CopyFileEvent['method'][] = [];
    const summary = await copyNode(node('src'), node('dest'), { onFile: (e) => methods.push(e.method) });
    expect(summary).toMatchObject({ files: 4, bytes: 22, errors: [] });
    expect(ops()).toEqual({ read: 0, write: 0, copy: 4, rename: 0 });
    expect(methods).toEqual(['copy', 'copy', 'copy', 'copy']);
    expect(await contents(node('dest'))).toEqual(FILES);
    expect(await contents(node('src'))).toEqual(FILES);
  });

  it('a tree move is a native rename per file; the emptied source folders are removed', async () => {
    await node('src/empty-before').mkdir();
    const summary = await moveNode(node('src'), node('moved'));
    expect(summary).toMatchObject({ files: 4, bytes: 22, errors: [] });
    expect(ops()).toEqual({ read: 0, write: 0, copy: 0, rename: 4 });
    expect(await contents(node('moved'))).toEqual(FILES);
    // A folder that was empty before the move goes along (see move-empty-folders.test.ts): nothing is left behind.
    expect(await node('moved/empty-before').isDir()).toBe(true);
    expect(await node('src').exists()).toBe(false);
  });

  it('a file move renames it into a new folder (its old folder stays, as with mv)', async () => {
    await moveNode(node('src/docs/deep/c.txt'), node('elsewhere/new/c2.txt'));
    expect(ops().rename).toBe(1);
    expect(await node('elsewhere/new/c2.txt').readText()).toBe('charlie');
    expect(await node('src/docs/deep/c.txt').exists()).toBe(false);
    expect(await node('src/docs/deep').isDir()).toBe(true);
    expect(await node('src/docs/b.txt').exists()).toBe(true);
  });

  it('filtered, skipped and failed files stay at the source; their folders too', async () => {
    await node('moved/img/d.bin').writeText('delta');
    const summary = await moveNode(node('src'), node('moved'), { exclude: 'docs/deep/**', skip: 'exists' });
    expect(summary).toMatchObject({ files: 2, skipped: 1 });
    expect(await contents(node('src'))).toEqual({ 'docs/deep/c.txt': 'charlie', 'img/d.bin': 'delta' });
    expect(await contents(node('moved'))).toEqual({ 'a.txt': 'alpha', 'docs/b.txt': 'bravo', 'img/d.bin': 'delta' });
  });
});

describe('move without native rename, and across backends', () => {
  it('a backend without rename (like S3) moves by server-side copy then delete', async () => {
    const { backend, calls } = counting(withoutRename(new MemoryBackend({ mountName: 'norename' })));
    await storage.mountBackend('norename', backend);
    await seed(storage.node('norename:src'));
    const before = { read: calls.read ?? 0, write: calls.write ?? 0 };
    const methods: string[] = [];
    await moveNode(storage.node('norename:src'), storage.node('norename:dest'), {
      onFile: (e) => methods.push(e.method),
    });
    expect(calls.copy).toBe(4);
    expect(calls.rename).toBeUndefined();
    expect((calls.read ?? 0) - before.read).toBe(0);
    expect((calls.write ?? 0) - before.write).toBe(0);
    expect(methods).toEqual(['copy', 'copy', 'copy', 'copy']);
    expect(await contents(storage.node('norename:dest'))).toEqual(FILES);
    expect(await storage.node('norename:src').exists()).toBe(false);
  });

  it('memory → local streams each file, then deletes the source', async () => {
    await seed(storage.node('memory:src'));
    const methods: string[] = [];
    const summary = await moveNode(storage.node('memory:src'), storage.node('local:in'), {
      onFile: (e) => methods.push(e.method),
    });
    expect(summary).toMatchObject({ files: 4, bytes: 22, errors: [] });
    expect(methods).toEqual(['stream', 'stream', 'stream', 'stream']);
    expect(await tree(join(dir.path, 'local', 'in'))).toEqual([
      'a.txt',
      'docs',
      'docs/b.txt',
      'docs/deep',
      'docs/deep/c.txt',
      'img',
      'img/d.bin',
    ]);
    expect(await storage.node('memory:src').exists()).toBe(false);
  });

  it('a file whose copy fails is not deleted at the source', async () => {
    await storage.mountBackend(
      'faulty',
      failingReads(new MemoryBackend({ mountName: 'faulty' }), (key) => key.endsWith('c.txt'), 3),
    );
    await seed(storage.node('faulty:src'));
    const summary = await moveNode(storage.node('faulty:src'), storage.node('local:in'));
    expect(summary.files).toBe(3);
    expect(summary.errors.map((e) => e.path)).toEqual(['faulty:src/docs/deep/c.txt']);
    const left: string[] = [];
    for await (const n of storage.node('faulty:src').list({ recursive: true })) if (n.listed?.isFile) left.push(n.path);
    expect(left).toEqual(['src/docs/deep/c.txt']);
    expect(await storage.node('faulty:src/docs/deep/c.txt').size()).toBe(7);
    expect(await storage.node('local:in/docs/deep/c.txt').exists()).toBe(false);
  });

  it('a mount without delete permission refuses a move up front: nothing is copied', async () => {
    await storage.configure([{ name: 'rw', protocol: 'memory', permissions: 'readwrite' }]);
    await seed(storage.node('rw:src'), { 'x.txt': 'x' });
    const error = await rejectsWith(moveNode(storage.node('rw:src'), storage.node('memory:dest')), 'PERMISSION_DENIED');
    expect(error.message).toContain('mount "rw" is readwrite');
    expect(await storage.node('rw:src/x.txt').readText()).toBe('x');
    expect(await storage.node('memory:dest').exists()).toBe(false);
  });

  it('a virtual node or a past version cannot be moved', async () => {
    await storage.configure([{ name: 'v', protocol: 'memory', versioning: true }]);
    await storage.node('v:a.txt').writeText('1');
    const [version] = await storage.node('v:a.txt').versions();
    await rejectsWith(
      moveNode(storage.node('v:a.txt').atVersion(version!.versionId), storage.node('v:b.txt')),
      'INVALID_INPUT',
    );
    await copyNode(storage.node('v:a.txt').atVersion(version!.versionId), storage.node('v:b.txt'));
    expect(await storage.node('v:b.txt').readText()).toBe('1');
  });
});
