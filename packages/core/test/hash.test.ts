import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSha256Hex,
  DropboxContentHash,
  contentKey,
  hashBytes,
  hashFile,
  hashFileSync,
  hashFromContentKey,
  HashingStream,
  hashStream,
  isSha256Hex,
  UfsError,
} from '../src/index.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-core-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
}

/**
 * A real FIFO, and a process that opens it for writing after 2 s and writes a line: a hash that blocked on the FIFO
 * (open() with no writer) is released by it and returns a digest instead of hanging the suite, so the test fails
 * rather than times out. Killed after the test (with the fix nobody reads, and its open() blocks).
 */
function fifoWithLateWriter(name: string): { path: string; writer: ChildProcess } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const writer = spawn(
    process.execPath,
    ['-e', "setTimeout(() => require('fs').writeFileSync(process.argv[1], 'late\\n'), 2000)", path],
    { stdio: 'ignore' },
  );
  return { path, writer };
}

function expectFifoRefused(err: unknown, path: string): void {
  expect(err).toBeInstanceOf(UfsError);
  expect((err as UfsError).code).toBe('INVALID_INPUT');
  expect((err as UfsError).message).toBe(`[ufs] hash "${path}": is a FIFO, not a regular file`);
}

describe('hashFile', () => {
  it('matches known vectors', async () => {
    await writeFile(join(dir, 'empty'), '');
    await writeFile(join(dir, 'abc'), 'abc');
    expect(await hashFile(join(dir, 'empty'))).toEqual({ digest: EMPTY_SHA256, size: 0 });
    expect(await hashFile(join(dir, 'abc'))).toEqual({ digest: ABC_SHA256, size: 3 });
    expect((await hashFile(join(dir, 'abc'), { algorithm: 'md5' })).digest).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it.each([1, 7, 64, 4096])('agrees with sha256sum across buffer boundaries (buffer %i)', async (bufferSize) => {
    const path = join(dir, `random-${bufferSize}`);
    await writeFile(path, randomBytes(bufferSize * 5 + 3));
    const progress: number[] = [];
    const result = await hashFile(path, { bufferSize, onProgress: (n) => progress.push(n) });
    expect(result.digest).toBe(sha256sum(path));
    expect(result.size).toBe(bufferSize * 5 + 3);
    expect(progress.at(-1)).toBe(result.size);
  });

  it('agrees with sha256sum on a multi-buffer file with the default buffer', async () => {
    const path = join(dir, 'nine-mib');
    await writeFile(path, randomBytes(9 * 1024 * 1024 + 17));
    expect((await hashFile(path)).digest).toBe(sha256sum(path));
  });

  it('names the file when it is missing', async () => {
    const err = await hashFile(join(dir, 'missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UfsError);
    expect((err as UfsError).code).toBe('NOT_FOUND');
    expect((err as UfsError).message).toContain('missing');
  });

  it('stops when aborted', async () => {
    const path = join(dir, 'abortable');
    await writeFile(path, randomBytes(1024 * 64));
    const controller = new AbortController();
    controller.abort();
    const err = await hashFile(path, { bufferSize: 1024, signal: controller.signal }).catch((e: unknown) => e);
    expect((err as UfsError).code).toBe('ABORTED');
  });

  it('refuses a FIFO at once instead of blocking on it, and still hashes a regular file', async () => {
    const { path, writer } = fifoWithLateWriter('fifo-async');
    try {
      const started = Date.now();
      const err = await hashFile(path).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1000);
      expectFifoRefused(err, path);
    } finally {
      writer.kill('SIGKILL');
    }
    await writeFile(join(dir, 'abc'), 'abc');
    expect(await hashFile(join(dir, 'abc'))).toEqual({ digest: ABC_SHA256, size: 3 });
  });
});

describe('hashFileSync', () => {
  it.each([1, 64, 4096])(
    'agrees with sha256sum and hashFile across buffer boundaries (buffer %i)',
    async (bufferSize) => {
      const path = join(dir, `sync-${bufferSize}`);
      await writeFile(path, randomBytes(bufferSize * 5 + 3));
      const result = hashFileSync(path, { bufferSize });
      expect(result).toEqual({ digest: sha256sum(path), size: bufferSize * 5 + 3 });
      expect(result).toEqual(await hashFile(path, { bufferSize }));
      await writeFile(join(dir, 'empty'), '');
      expect(hashFileSync(join(dir, 'empty'))).toEqual({ digest: EMPTY_SHA256, size: 0 });
    },
  );

  it('reuses its buffers safely while async hashes of other files are in flight', async () => {
    const paths = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (i) => {
        const path = join(dir, `interleaved-${i}`);
        await writeFile(path, randomBytes(300_000 * i));
        return path;
      }),
    );
    const pending = paths.map((path) => hashFile(path, { bufferSize: 65_536 }));
    const sync = paths.map((path) => hashFileSync(path, { bufferSize: 65_536 }).digest);
    expect((await Promise.all(pending)).map((r) => r.digest)).toEqual(paths.map(sha256sum));
    expect(sync).toEqual(paths.map(sha256sum));
  });

  it('names the file when it is missing or a folder', () => {
    const failure = (path: string): unknown => {
      try {
        return hashFileSync(path);
      } catch (e) {
        return e;
      }
    };
    const missing = failure(join(dir, 'missing'));
    expect(missing).toBeInstanceOf(UfsError);
    expect((missing as UfsError).code).toBe('NOT_FOUND');
    expect((missing as UfsError).message).toContain('missing');
    const folder = failure(dir);
    expect(folder).toBeInstanceOf(UfsError);
    expect((folder as UfsError).message).toContain(dir);
  });

  it('refuses a FIFO at once instead of blocking the thread on it, and still hashes a regular file', async () => {
    const { path, writer } = fifoWithLateWriter('fifo-sync');
    try {
      const started = Date.now();
      let err: unknown;
      try {
        hashFileSync(path);
      } catch (e) {
        err = e;
      }
      expect(Date.now() - started).toBeLessThan(1000);
      expectFifoRefused(err, path);
    } finally {
      writer.kill('SIGKILL');
    }
    await writeFile(join(dir, 'abc'), 'abc');
    expect(hashFileSync(join(dir, 'abc'))).toEqual({ digest: ABC_SHA256, size: 3 });
  });
});

describe('hashStream and HashingStream', () => {
  it('hashes an async iterable', async () => {
    const result = await hashStream(Readable.from([Buffer.from('a'), Buffer.from('bc')]));
    expect(result).toEqual({ digest: ABC_SHA256, size: 3 });
    expect(hashBytes('abc')).toBe(ABC_SHA256);
  });

  it('hashes what passes through, in several algorithms', async () => {
    const hashing = new HashingStream(['sha256', 'md5']);
    const out: Buffer[] = [];
    expect(() => hashing.digest()).toThrow(/not finished/);
    await pipeline(Readable.from([Buffer.from('ab'), Buffer.from('c')]), hashing, async (source) => {
      for await (const chunk of source) out.push(chunk as Buffer);
    });
    expect(Buffer.concat(out).toString()).toBe('abc');
    expect(hashing.digest('sha256')).toBe(ABC_SHA256);
    expect(hashing.digest('md5')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hashing.size).toBe(3);
  });
});

describe('content addressing', () => {
  it('lays content out as ab/abcdef…', () => {
    expect(contentKey(ABC_SHA256)).toBe(`ba/${ABC_SHA256}`);
    expect(contentKey(ABC_SHA256, 'content/')).toBe(`content/ba/${ABC_SHA256}`);
    expect(hashFromContentKey(`content/ba/${ABC_SHA256}`)).toBe(ABC_SHA256);
    expect(hashFromContentKey(`bb/${ABC_SHA256}`)).toBeUndefined();
    expect(hashFromContentKey('ba/nothex')).toBeUndefined();
  });

  it('rejects what is not a lowercase SHA-256', () => {
    for (const bad of ['', 'abc', ABC_SHA256.toUpperCase(), `${ABC_SHA256}0`, `../${ABC_SHA256.slice(3)}`, 42]) {
      expect(isSha256Hex(bad)).toBe(false);
      expect(() => assertSha256Hex(bad)).toThrow(/64 lowercase hex/);
    }
    expect(() => contentKey('zz')).toThrow(UfsError);
  });
});

describe('DropboxContentHash', () => {
  const sha = (data: Uint8Array) => createHash('sha256').update(data).digest();
  it('is SHA-256 over the SHA-256 of each 4 MiB block, whatever the chunking', () => {
    const data = randomBytes(9 * 1024 * 1024 + 17);
    const block = 4 * 1024 * 1024;
    const expected = createHash('sha256')
      .update(
        Buffer.concat([
          sha(data.subarray(0, block)),
          sha(data.subarray(block, 2 * block)),
          sha(data.subarray(2 * block)),
        ]),
      )
      .digest('hex');
    for (const size of [1, 65_536, block, block + 1, 5_000_000]) {
      const hash = new DropboxContentHash();
      for (let at = 0; at < data.length; at += size) hash.update(data.subarray(at, at + size));
      expect([size, hash.digest(), hash.bytes]).toEqual([size, expected, data.length]);
    }
    expect(new DropboxContentHash().digest()).toBe(createHash('sha256').digest('hex'));
  });
});
