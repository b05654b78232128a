// A copy whose source stream fails at once, and a copy whose `onFile` callback throws: each is reported once, in
// `errors` (never an unhandled 'error' event), whatever the destination (local, memory, a real radosgw S3).
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ReadOptions } from '@org/core';
import { copyNode, moveNode } from '../src/copy/index.js';
import { MemoryBackend, StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';
import { openUploads, s3Fixture } from './services/s3.js';

const fixture = await s3Fixture('copy-src-fail');
let dir: { path: string; cleanup: () => Promise<void> };
const storage = new StorageManager();

/** Errors that reached no listener: an unhandled 'error' event ends up here instead of ending the test run. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

/** A memory store whose read streams fail on their first chunk (a disk or network error right after open). */
class FailingReads extends MemoryBackend {
  override async read(key: string, options?: ReadOptions): Promise<Readable> {
    const inner = await super.read(key, options);
    const out = new Transform({ transform: (_chunk, _encoding, callback) => callback(new Error('read failed: EIO')) });
    inner.on('error', (err) => out.destroy(err));
    return inner.pipe(out);
  }
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  dir = await tempDir('ufs-copy-src-fail-');
  await storage.configure([
    { name: 'data', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'mem', protocol: 'memory' },
    { name: 's3', protocol: 's3', ...fixture.connection, bucket: fixture.bucket, forcePathStyle: true },
  ]);
  await storage.mountBackend('src', new FailingReads({ mountName: 'src' }));
  await storage.node('src:a.bin').writeBytes(Buffer.alloc(100_000, 1));
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  try {
    await storage.dispose();
  } finally {
    await dir.cleanup();
  }
}, 60_000);

describe('a source stream that fails on its first chunk', () => {
  it.each(['s3', 'data', 'mem'])('copied to %s: one error in the summary, no destination file', async (mount) => {
    const summary = await copyNode(storage.node('src:a.bin'), storage.node(`${mount}:a.bin`));
    await sleep(50);
    expect(uncaught).toEqual([]);
    expect(summary.files).toBe(0);
    expect(summary.errors.map((e) => e.error.message)).toEqual([expect.stringContaining('read failed: EIO')]);
    expect(await storage.node(`${mount}:a.bin`).exists()).toBe(false);
    if (mount === 's3') expect(await openUploads(fixture.raw, fixture.bucket, '')).toEqual([]);
  });
});

describe('an onFile callback that throws', () => {
  it('copy: the file counts as copied (it is there); the callback error is reported once, not as a failed file', async () => {
    await storage.node('mem:t/a.txt').writeText('a');
    await storage.node('mem:t/b.txt').writeText('b');
    const seen: string[] = [];
    const summary = await copyNode(storage.node('mem:t'), storage.node('data:t'), {
      concurrency: 1,
      onFile: (event) => {
        seen.push(event.src.basename);
        if (event.src.basename === 'a.txt') throw new Error('callback bug');
      },
    });
    expect(seen.sort()).toEqual(['a.txt', 'b.txt']);
    expect(summary.files).toBe(2);
    expect(summary.bytes).toBe(2);
    expect(summary.errors).toHaveLength(1);
    const [failure] = summary.errors;
    expect(failure!.path).toBe('mem:t/a.txt');
    expect(failure!.error.code).toBe('UNEXPECTED');
    expect(failure!.error.message).toBe(
      '[ufs] copy "mem:t/a.txt" → "data:t/a.txt": the onFile callback threw: callback bug (the file was copied)',
    );
    expect(await storage.node('data:t/a.txt').readText()).toBe('a');
  });

  it('move: the file counts as moved (the source is gone, the destination there), one error for the callback', async () => {
    await storage.node('mem:m/a.txt').writeText('a');
    const summary = await moveNode(storage.node('mem:m/a.txt'), storage.node('data:m/a.txt'), {
      onFile: () => {
        throw new Error('callback bug');
      },
    });
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => e.error.message)).toEqual([expect.stringContaining('(the file was moved)')]);
    expect(await storage.node('mem:m/a.txt').exists()).toBe(false);
    expect(await storage.node('data:m/a.txt').readText()).toBe('a');
  });

  it('onSkip: the file counts as skipped, once, and the callback error is reported once', async () => {
    await storage.node('mem:s/a.txt').writeText('a');
    await storage.node('data:s/a.txt').writeText('a');
    const summary = await copyNode(storage.node('mem:s'), storage.node('data:s'), {
      skip: 'size',
      onSkip: () => {
        throw new Error('skip callback bug');
      },
    });
    expect(summary).toMatchObject({ files: 0, skipped: 1 });
    expect(summary.errors.map((e) => e.error.message)).toEqual([
      expect.stringContaining('the onSkip callback threw: skip callback bug (the file was skipped)'),
    ]);
  });
});
