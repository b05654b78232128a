import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { HOSTILE_PATHS } from '@org/core/testing';
import { StorageManager, type StorageNode } from '../src/index.js';
import { readAll, rejectsWith, tempDir, tree } from './helpers.js';

/**
 * No path reaches outside a mount: every hostile path through node(), child(), parent chains and relative mounts,
 * and symbolic links inside a local root that point outside it. The temp folder holds the mount root `root/` and,
 * beside it, `outside/` with a secret; after every attempt nothing outside `root/` may have changed, and no read may
 * have returned the secret.
 */
const SECRET = 'TOP SECRET: never readable through a mount';
let base: { path: string; cleanup: () => Promise<void> };
let root: string;
let outside: string;
let storage: StorageManager;
let outsideBefore: string[];
const reads: string[] = [];

async function attempt(run: () => Promise<unknown>): Promise<void> {
  try {
    const value = await run();
    if (typeof value === 'string') reads.push(value);
    if (Buffer.isBuffer(value)) reads.push(value.toString());
  } catch (err) {
    expect(err).toBeInstanceOf(UfsError);
  }
}

/** Everything a caller could try on a node. */
async function tryEverything(node: StorageNode): Promise<void> {
  await attempt(() => node.readText());
  await attempt(async () => (await readAll(node.createReadStream())).toString());
  await attempt(() => node.stat());
  await attempt(() => node.writeText('pwned'));
  await attempt(() => node.append(Readable.from([Buffer.from('pwned')])));
  await attempt(() => node.mkdir({ parents: true }));
  await attempt(async () => (await node.children()).map((c) => c.fullpath).join());
  await attempt(async () => {
    const handle = await node.localPath();
    await handle.close();
    return readFile(handle.path, 'utf8');
  });
}

async function outsideTree(): Promise<string[]> {
  return (await tree(base.path)).filter((p) => p !== 'root' && !p.startsWith('root/'));
}

beforeAll(async () => {
  base = await tempDir('ufs-traversal-');
  root = join(base.path, 'root');
  outside = join(base.path, 'outside');
  await mkdir(join(root, 'sub/deeper'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.txt'), SECRET);
  await writeFile(join(base.path, 'beside-root.txt'), SECRET);
  await writeFile(join(root, 'ok.txt'), 'inside');
  await symlink(outside, join(root, 'link-dir'));
  await symlink(join(outside, 'secret.txt'), join(root, 'link-file'));
  await symlink(join(outside, 'created-through-link.txt'), join(root, 'dangling'));
  await symlink('../../..', join(root, 'sub/deeper/up'));
  await symlink('/', join(root, 'slash'));
  await symlink(join(root, 'ok.txt'), join(root, 'inner-link'));
  storage = new StorageManager();
  await storage.configure([
    { name: 'jail', protocol: 'local', root },
    { name: 'rel', path: 'jail:sub' },
    { name: 'rel2', path: 'rel:deeper' },
    { name: 'mem', protocol: 'memory' },
  ]);
  outsideBefore = await outsideTree();
});

afterAll(async () => {
  // The invariant checked once more after everything: nothing outside the root changed, nothing secret was read.
  expect(await outsideTree()).toEqual(outsideBefore);
  expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
  expect(reads.filter((r) => r.includes('SECRET') || r.includes('root:x:0:0'))).toEqual([]);
  await storage.dispose();
  await base.cleanup();
});

describe(`${HOSTILE_PATHS.length} hostile paths`, () => {
  it.each(HOSTILE_PATHS.map((p) => [JSON.stringify(p).slice(0, 60), p]))(
    '%s never resolves outside any mount',
    async (_label, hostile) => {
      const creators: (() => StorageNode)[] = [
        () => storage.node(`jail:${hostile}`),
        () => storage.node('jail', hostile),
        () => storage.node('jail:sub', hostile),
        () => storage.node('jail:').child(hostile),
        () => storage.node('jail:sub/deeper').child('x', hostile),
        () => storage.node(`rel:${hostile}`),
        () => storage.node('rel2').child(hostile),
        () => storage.node(`mem:${hostile}`),
        () => storage.node('jail:ok.txt').parent.child(hostile),
      ];
      let accepted = 0;
      for (const create of creators) {
        let node: StorageNode | undefined;
        try {
          node = create();
        } catch (err) {
          expect(err).toBeInstanceOf(UfsError);
          expect((err as UfsError).code).toBe('INVALID_INPUT');
        }
        if (node) {
          accepted++;
          await tryEverything(node);
        }
      }
      expect(accepted).toBe(0);
      expect(await outsideTree()).toEqual(outsideBefore);
    },
  );

  it('as relative-mount folders, are CONFIG_INVALID', async () => {
    for (const hostile of HOSTILE_PATHS) {
      const s = new StorageManager();
      await s.configure([{ name: 'jail', protocol: 'local', root }]);
      await rejectsWith(s.configure([{ name: 'r', path: `jail:${hostile}` }]), 'CONFIG_INVALID');
      await s.dispose();
    }
  });
});

describe('parent chains', () => {
  it.each(['jail:sub/deeper/x.txt', 'rel:deeper/x.txt', 'rel2:x.txt', 'mem:a/b/c/d'])(
    'from %s stop at the mount root',
    (path) => {
      let node = storage.node(path);
      const mount = node.mountName;
      for (let i = 0; i < 10; i++) {
        node = node.parent;
        expect(node.mountName).toBe(mount);
      }
      expect(node.fullpath).toBe(`${mount}:`);
      expect(node.parent.equals(node)).toBe(true);
    },
  );
});

describe('symbolic links in a local root', () => {
  it('links to outside are refused for reading with PERMISSION_DENIED', async () => {
    for (const path of [
      'link-file',
      'link-dir/secret.txt',
      'sub/deeper/up/outside/secret.txt',
      'sub/deeper/up/beside-root.txt',
      'slash/etc/passwd',
    ]) {
      const err = await rejectsWith(storage.node('jail', path).readText(), 'PERMISSION_DENIED');
      expect(err.message).toContain('outside the mount root');
      // `stat` of the link itself describes the link (never its target), so that `rm` can remove it; a path through
      // a link out of the root stays refused.
      if (path === 'link-file')
        expect(await storage.node('jail', path).stat()).toMatchObject({ isFile: false, isDir: false, size: 0 });
      else await rejectsWith(storage.node('jail', path).stat(), 'PERMISSION_DENIED');
      await rejectsWith(storage.node('jail', path).hash(), 'PERMISSION_DENIED');
      await rejectsWith(storage.node('jail', path).localPath(), 'PERMISSION_DENIED');
    }
    await rejectsWith(storage.node('rel:deeper/up/outside/secret.txt').readText(), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('rel2:up/outside/secret.txt').readText(), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('jail:link-dir').children(), 'PERMISSION_DENIED');
  });

  it('links to outside are refused for writing, and nothing is created outside', async () => {
    for (const path of [
      'link-file',
      'link-dir/new.txt',
      'dangling',
      'sub/deeper/up/outside/new.txt',
      'slash/tmp/ufs-pwned.txt',
    ]) {
      await rejectsWith(storage.node('jail', path).writeText('pwned'), 'PERMISSION_DENIED');
      await rejectsWith(storage.node('jail', path).append(Readable.from([Buffer.from('pwned')])), 'PERMISSION_DENIED');
      await rejectsWith(storage.node('jail', path).localPath({ mode: 'write' }), 'PERMISSION_DENIED');
    }
    await rejectsWith(storage.node('jail:link-dir/newdir').mkdir({ parents: true }), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('jail:dangling/x').mkdir({ parents: true }), 'PERMISSION_DENIED');
    const backend = storage.node('jail:').backend;
    await rejectsWith(backend.copy!('link-file', 'copied.txt'), 'PERMISSION_DENIED');
    await rejectsWith(backend.copy!('ok.txt', 'link-dir/copied.txt'), 'PERMISSION_DENIED');
    await rejectsWith(backend.rename!('ok.txt', 'link-dir/stolen.txt'), 'PERMISSION_DENIED');
    expect(await storage.node('jail:ok.txt').readText()).toBe('inside');
    expect(await outsideTree()).toEqual(outsideBefore);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
  });

  it('listings leave escaping links out and never walk into links', async () => {
    const all = [];
    for await (const node of storage.node('jail:').list({ recursive: true })) all.push(node.path);
    expect(all).toEqual(['inner-link', 'ok.txt', 'sub', 'sub/deeper']);
  });

  it('links that stay inside the root work', async () => {
    expect(await storage.node('jail:inner-link').readText()).toBe('inside');
  });

  it('deleting a link removes the link, never its target', async () => {
    await storage.node('jail:link-file').delete();
    await storage.node('jail:link-dir').delete({ recursive: true });
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
    expect(await outsideTree()).toEqual(outsideBefore);
  });
});
