// Two mounts that name the same storage by different routes — two S3 mounts on one bucket (one with a prefix, on a
// real radosgw), a local mount and an SFTP mount of the same folder (the real sshd runs on this machine) — never
// copy a file onto itself, and a move never deletes the only copy: the copy or move is refused up front
// (INVALID_INPUT, "is another name for it"), for single files and for trees.
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { LocalBackend, StorageManager, type StorageBackend, type StorageNode } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const fixture = await s3Fixture('same');
const sshd = await sftpEndpoint();
const shared = realpathSync(await mkdtemp(join(tmpdir(), 'ufs-same-storage-')));
afterAll(async () => {
  rmSync(shared, { recursive: true, force: true });
  await sshd.stop();
}, 30_000);

let storage: StorageManager;
let run = 0;
let prefix = '';
beforeEach(async () => {
  prefix = `run-${++run}`;
  storage = new StorageManager();
  const s3 = { protocol: 's3', bucket: fixture.bucket, ...fixture.connection, forcePathStyle: true };
  await storage.configure([
    { name: 's3', ...s3 },
    { name: 's3q', ...s3, prefix },
    { name: 'loc', protocol: 'local', root: shared },
    sftpMount(sshd, shared, 'sftp'),
  ]);
  rmSync(join(shared, 'tc'), { recursive: true, force: true });
  mkdirSync(join(shared, 'tc/sub'), { recursive: true });
  writeFileSync(join(shared, 'tc/a.txt'), 'alpha');
  writeFileSync(join(shared, 'tc/sub/b.txt'), 'beta');
  await storage.node(`s3:${prefix}/sub/a.txt`).writeText('alpha');
  await storage.node(`s3:${prefix}/sub/deep/b.txt`).writeText('beta');
});
afterEach(async () => {
  await storage.dispose();
});

/** Copy and move, both ways, refused as the same file (or a folder into itself); the content is untouched. */
async function refused(a: StorageNode, b: StorageNode, why: string): Promise<void> {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const operation of [moveNode, copyNode]) {
      const error = await rejectsWith(operation(from, to), 'INVALID_INPUT');
      expect(error.message).toContain(why);
    }
  }
}

describe('two S3 mounts on one bucket, one with a prefix', () => {
  it('a file is not copied or moved onto itself', async () => {
    const [whole, prefixed] = [storage.node(`s3:${prefix}/sub/a.txt`), storage.node('s3q:sub/a.txt')];
    await refused(whole, prefixed, 'source and destination are the same file');
    expect(await whole.readText()).toBe('alpha');
  });

  it('a folder is not copied or moved into itself (the same folder, or one below it)', async () => {
    await refused(
      storage.node(`s3:${prefix}/sub`),
      storage.node('s3q:sub'),
      'the destination is inside the source folder',
    );
    const error = await rejectsWith(
      moveNode(storage.node(`s3:${prefix}`), storage.node('s3q:sub/inner')),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('the destination is inside the source folder');
    expect(await storage.node(`s3:${prefix}/sub/a.txt`).readText()).toBe('alpha');
    expect(await storage.node(`s3:${prefix}/sub/deep/b.txt`).readText()).toBe('beta');
  });

  it('different objects of the bucket still move between the two mounts', async () => {
    const summary = await moveNode(storage.node('s3q:sub'), storage.node(`s3:${prefix}/moved`));
    expect(summary).toMatchObject({ files: 2, errors: [] });
    expect(await storage.node('s3q:moved/deep/b.txt').readText()).toBe('beta');
    expect(await storage.node('s3q:sub/a.txt').exists()).toBe(false);
  });
});

describe('a local mount and an SFTP mount of the same folder', () => {
  it('a file is not copied or moved onto itself', async () => {
    await refused(storage.node('loc:tc/a.txt'), storage.node('sftp:tc/a.txt'), 'is another name for it');
    expect(readFileSync(join(shared, 'tc/a.txt'), 'utf8')).toBe('alpha');
  });

  it('a folder is not copied or moved into itself', async () => {
    await refused(storage.node('loc:tc'), storage.node('sftp:tc'), 'the destination is inside the source folder');
    await rejectsWith(moveNode(storage.node('sftp:tc'), storage.node('loc:tc/sub/new')), 'INVALID_INPUT');
    await rejectsWith(moveNode(storage.node('loc:tc'), storage.node('sftp:tc/sub/new')), 'INVALID_INPUT');
    expect(readFileSync(join(shared, 'tc/a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(join(shared, 'tc/sub/b.txt'), 'utf8')).toBe('beta');
  });

  it('different files still move between the two mounts', async () => {
    const summary = await moveNode(storage.node('sftp:tc/sub'), storage.node('loc:tc/other'));
    expect(summary).toMatchObject({ files: 1, errors: [] });
    expect(readFileSync(join(shared, 'tc/other/b.txt'), 'utf8')).toBe('beta');
    expect(await storage.node('loc:tc/sub/b.txt').exists()).toBe(false);
  });
});

/**
 * The shared folder through a real local backend that cannot tell where its files live (no `localPath`), as a
 * network share of the same folder would be: nothing proves up front that it is the same storage.
 */
function unplaced(root: string): StorageBackend {
  const backend = new LocalBackend({ root, mountName: 'share' });
  return new Proxy(backend, {
    get: (target, p) => {
      if (p === 'localPath') return undefined;
      const value: unknown = Reflect.get(target, p, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('the same folder under a name nothing can compare', () => {
  beforeEach(async () => {
    await storage.mountBackend('share', unplaced(shared));
  });

  it('a moved file whose source the copy replaced is not deleted (INTEGRITY); copies are harmless', async () => {
    for (const [from, to] of [
      ['loc:tc/a.txt', 'share:tc/a.txt'],
      ['share:tc/a.txt', 'loc:tc/a.txt'],
    ] as const) {
      const summary = await moveNode(storage.node(from), storage.node(to));
      expect(summary.files).toBe(0);
      expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([[from, 'INTEGRITY']]);
      expect(summary.errors[0]!.error.message).toContain('it was not deleted');
      expect(readFileSync(join(shared, 'tc/a.txt'), 'utf8')).toBe('alpha');
    }
    expect((await copyNode(storage.node('share:tc/a.txt'), storage.node('loc:tc/a.txt'))).files).toBe(1);
    expect(readFileSync(join(shared, 'tc/a.txt'), 'utf8')).toBe('alpha');
  });

  it('a moved tree onto itself keeps every file', async () => {
    const summary = await moveNode(storage.node('share:tc'), storage.node('loc:tc'));
    expect(summary.files).toBe(0);
    expect(summary.errors.map((e) => e.error.code)).toEqual(['INTEGRITY', 'INTEGRITY']);
    expect(readFileSync(join(shared, 'tc/a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(join(shared, 'tc/sub/b.txt'), 'utf8')).toBe('beta');
  });
});
