// What `write()` and `append()` do with the content they are given, on every kind of backend (local, memory, a real
// radosgw S3, a real sshd SFTP): a caller's stream that fails before the backend reads it is the call's rejection
// (never an unhandled 'error' event), a write that fails or is refused releases the stream it was given, bytes in
// memory (Buffer, Uint8Array) are content, and a declared `size` is checked everywhere.
import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const fixture = await s3Fixture('write-src');
const sshd = await sftpEndpoint();
let dir: { path: string; cleanup: () => Promise<void> };
const storage = new StorageManager();
const MOUNTS = ['data', 'mem', 's3', 'sftp'] as const;

/** Errors that reached no listener: an unhandled 'error' event ends up here instead of ending the test run. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  dir = await tempDir('ufs-write-sources-');
  await mkdir(join(dir.path, 'sftp'));
  await storage.configure([
    { name: 'data', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'mem', protocol: 'memory' },
    { name: 'ro', path: 'mem:', permissions: 'readonly' },
    { name: 's3', protocol: 's3', ...fixture.connection, bucket: fixture.bucket, forcePathStyle: true },
    sftpMount(sshd, join(dir.path, 'sftp'), 'sftp'),
  ]);
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  try {
    await storage.dispose();
  } finally {
    await dir.cleanup();
    await sshd.stop();
  }
}, 60_000);

/** A file stream on a path that does not exist: it fails (ENOENT) on its own, before anything reads it. */
function missingFile(): Readable {
  return createReadStream(join(dir.path, 'no-such-file.bin'));
}

/** A stream on a real file of the given content. */
function fileStream(content: string): Readable {
  const path = join(dir.path, `in-${randomBytes(4).toString('hex')}.txt`);
  writeFileSync(path, content);
  return createReadStream(path);
}

describe('a caller stream that fails before the backend reads it', () => {
  it.each(MOUNTS)('write on %s: NOT_FOUND naming the write, no unhandled error, nothing written', async (mount) => {
    const error = await rejectsWith(storage.node(`${mount}:early/x.bin`).write(missingFile()), 'NOT_FOUND');
    expect(error.message).toMatch(/^\[ufs\] .*write .*x\.bin.*ENOENT|no such file/);
    await sleep(50);
    expect(uncaught).toEqual([]);
    expect(await storage.node(`${mount}:early/x.bin`).exists()).toBe(false);
  });

  it.each(['data', 'sftp'] as const)('append on %s: NOT_FOUND, no unhandled error', async (mount) => {
    await storage.node(`${mount}:early/log.txt`).writeText('kept');
    await rejectsWith(storage.node(`${mount}:early/log.txt`).append(missingFile()), 'NOT_FOUND');
    await sleep(50);
    expect(uncaught).toEqual([]);
    expect(await storage.node(`${mount}:early/log.txt`).readText()).toBe('kept');
  });
});

describe('a write that fails or is refused releases the stream it was given', () => {
  it('refused by a read-only mount: PERMISSION_DENIED and the stream is destroyed (its fd closed)', async () => {
    const stream = fileStream('hello');
    await rejectsWith(storage.node('ro:x.txt').write(stream), 'PERMISSION_DENIED');
    expect(stream.destroyed).toBe(true);
  });

  it('refused with a stream that then fails on its own: no unhandled error after the rejection', async () => {
    await rejectsWith(storage.node('ro:x.txt').write(missingFile()), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('ro:x.txt').append(missingFile()), 'PERMISSION_DENIED');
    await sleep(50);
    expect(uncaught).toEqual([]);
  });

  it.each(['data', 'mem', 'sftp'] as const)('failed by the backend on %s (a folder at the key)', async (mount) => {
    await storage.node(`${mount}:folder/inside.txt`).writeText('x');
    const stream = fileStream('hello');
    await rejectsWith(storage.node(`${mount}:folder`).write(stream), 'INVALID_INPUT');
    expect(stream.destroyed).toBe(true);
  });

  it('refused before the backend (the mount root): destroyed too', async () => {
    const stream = fileStream('hello');
    await rejectsWith(storage.node('mem:').write(stream), 'INVALID_INPUT');
    expect(stream.destroyed).toBe(true);
  });
});

describe('bytes in memory as content', () => {
  it.each(MOUNTS)('write(Buffer) and write(Uint8Array) on %s store those bytes', async (mount) => {
    expect(await storage.node(`${mount}:bytes/a.bin`).write(Buffer.from('hello'))).toMatchObject({
      written: true,
      size: 5,
    });
    expect(await storage.node(`${mount}:bytes/a.bin`).readText()).toBe('hello');
    const view = new Uint8Array([0, 104, 105, 0]).subarray(1, 3);
    await storage.node(`${mount}:bytes/b.bin`).write(view);
    expect(await storage.node(`${mount}:bytes/b.bin`).readText()).toBe('hi');
  });

  it('append(Buffer) on a local mount appends those bytes', async () => {
    await storage.node('data:bytes/log.txt').writeText('a');
    await storage.node('data:bytes/log.txt').append(Buffer.from('bc'));
    expect(await storage.node('data:bytes/log.txt').readText()).toBe('abc');
  });

  it('content that is not bytes is refused with INVALID_INPUT, naming what it got', async () => {
    const numbers = await rejectsWith(storage.node('mem:bytes/n.bin').write(Readable.from([1, 2, 3])), 'INVALID_INPUT');
    expect(numbers.message).toMatch(/^\[ufs\] .*a chunk was a number/);
    const notContent = await rejectsWith(
      storage.node('mem:bytes/n.bin').write(42 as unknown as Readable),
      'INVALID_INPUT',
    );
    expect(notContent.message).toMatch(/^\[ufs\] .*content must be a stream.*not number/);
    expect(await storage.node('mem:bytes/n.bin').exists()).toBe(false);
  });
});

describe('a declared size', () => {
  it.each(MOUNTS)('on %s: fewer or more bytes than declared is INTEGRITY and the old content stays', async (mount) => {
    const node = storage.node(`${mount}:sized/x.txt`);
    await node.writeText('old');
    const fewer = await rejectsWith(node.write(Readable.from([Buffer.from('abc')]), { size: 10 }), 'INTEGRITY');
    expect(fewer.message).toMatch(/^\[ufs\] .*x\.txt.*the source gave 3 bytes, not the declared 10/);
    const more = await rejectsWith(node.write(Readable.from([Buffer.from('abcdef')]), { size: 2 }), 'INTEGRITY');
    expect(more.message).toContain('the source gave 6 bytes, not the declared 2');
    await rejectsWith(node.write(Buffer.from('abc'), { size: 4 }), 'INTEGRITY');
    // writeText/writeBytes check the size declared too (they used to put their own byte count in its place).
    const text = await rejectsWith(node.writeText('hello world', { size: 3 }), 'INTEGRITY');
    expect(text.message).toContain('the source gave 11 bytes, not the declared 3');
    await rejectsWith(node.writeBytes(Buffer.from('ab'), { size: 30 }), 'INTEGRITY');
    expect(await node.readText()).toBe('old');
    expect(await node.writeText('abc', { size: 3 })).toMatchObject({ written: true, size: 3 });
    expect(await node.write(Readable.from([Buffer.from('abc')]), { size: 3 })).toMatchObject({
      written: true,
      size: 3,
    });
    expect(await node.readText()).toBe('abc');
  });

  it('a size that is not a byte count is refused up front', async () => {
    await rejectsWith(storage.node('mem:sized/y.txt').write(Readable.from(['a']), { size: -1 }), 'INVALID_INPUT');
    await rejectsWith(storage.node('mem:sized/y.txt').write(Readable.from(['a']), { size: 1.5 }), 'INVALID_INPUT');
  });
});
