// A source file that changes while it is copied (appended to, rewritten in place, replaced) fails that file with
// INTEGRITY, as rclone's "source file is being updated", and leaves no destination file: the write is abandoned as
// an abort is (local: the temporary file is removed; S3: the multipart upload is aborted). Real folders and a real
// radosgw; the change is made from the copy's own progress events, at a fixed point of the read.
import { appendFileSync, openSync, closeSync, writeSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { Readable } from 'node:stream';
import type { StorageBackend } from '@org/core';
import { interceptBackend, StorageManager, type CopySummary } from '../src/index.js';
import { asBuffers } from '../src/util/streams.js';
import { tempDir } from './helpers.js';
import { openUploads, s3Fixture } from './services/s3.js';

const MiB = 1024 * 1024;
const fixture = await s3Fixture('changing');

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let run = 0;
let prefix = '';
const src = (name: string) => join(dir.path, 'src', name);

beforeEach(async () => {
  dir = await tempDir('ufs-changing-');
  mkdirSync(join(dir.path, 'src'));
  mkdirSync(join(dir.path, 'dest'));
  writeFileSync(src('grow.bin'), Buffer.alloc(12 * MiB, 1));
  prefix = `run-${++run}`;
  storage = new StorageManager();
  await storage.configure([
    { name: 'loc', protocol: 'local', root: join(dir.path, 'src') },
    { name: 'out', protocol: 'local', root: join(dir.path, 'dest') },
    {
      name: 's3',
      protocol: 's3',
      bucket: fixture.bucket,
      prefix,
      ...fixture.connection,
      forcePathStyle: true,
      partSize: 5 * MiB,
    },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Runs `change` once, when the copy has read more than `after` bytes. */
function changeAfter(after: number, change: () => void | Promise<void>) {
  let done = false;
  return {
    onProgress: ({ loaded }: { loaded: number }) => {
      if (loaded > after && !done) {
        done = true;
        void change();
      }
    },
  };
}

/** The backend, its read streams held once `after` bytes went through until `change` has run (once). */
function heldAfter(inner: StorageBackend, after: number, change: () => Promise<unknown>): StorageBackend {
  let changed: Promise<unknown> | undefined;
  return interceptBackend(inner, async (call, next) => {
    const result = await next();
    if (call.op !== 'read') return result;
    const stream = result as Readable;
    async function* held(): AsyncGenerator<Buffer> {
      let sent = 0;
      for await (const chunk of asBuffers(stream)) {
        yield chunk;
        sent += chunk.byteLength;
        if (sent > after) await (changed ??= change());
      }
    }
    return Readable.from(held(), { objectMode: false });
  });
}

function failedWithIntegrity(summary: CopySummary, path: string, detail: RegExp): void {
  expect(summary.files).toBe(0);
  expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([[path, 'INTEGRITY']]);
  expect(summary.errors[0]!.error.message).toMatch(detail);
  expect(summary.errors[0]!.error.message).toContain('changed while it was read');
}

describe('a source that changes while it is read', () => {
  it('appended to, copied to a local folder: INTEGRITY, no destination file, no temporary file', async () => {
    const summary = await copyNode(storage.node('loc:grow.bin'), storage.node('out:grow.bin'), {
      ...changeAfter(MiB, () => appendFileSync(src('grow.bin'), Buffer.alloc(MiB, 2))),
    });
    failedWithIntegrity(summary, 'loc:grow.bin', /size changed from 12582912 to 13631488|bytes were read/);
    expect(readdirSync(join(dir.path, 'dest'))).toEqual([]);
  });

  it('appended to, copied to S3: INTEGRITY, no object, no open multipart upload', async () => {
    const summary = await copyNode(storage.node('loc:grow.bin'), storage.node('s3:grow.bin'), {
      ...changeAfter(MiB, () => appendFileSync(src('grow.bin'), Buffer.alloc(MiB, 2))),
    });
    failedWithIntegrity(summary, 'loc:grow.bin', /size changed|bytes were read/);
    expect(await storage.node('s3:grow.bin').exists()).toBe(false);
    expect(await openUploads(fixture.raw, fixture.bucket, `${prefix}/`)).toEqual([]);
  });

  it('rewritten in place (same size), moved: INTEGRITY, the source is kept', async () => {
    const summary = await moveNode(storage.node('loc:grow.bin'), storage.node('s3:grow.bin'), {
      ...changeAfter(MiB, () => {
        const fd = openSync(src('grow.bin'), 'r+');
        writeSync(fd, Buffer.alloc(4096, 9), 0, 4096, 11 * MiB);
        closeSync(fd);
      }),
    });
    failedWithIntegrity(summary, 'loc:grow.bin', /modification time changed/);
    expect(await storage.node('s3:grow.bin').exists()).toBe(false);
    expect(await storage.node('loc:grow.bin').size()).toBe(12 * MiB);
  });

  it('an S3 object replaced while it is read: INTEGRITY, no local file', async () => {
    await storage.node('s3:obj.bin').writeBytes(Buffer.alloc(12 * MiB, 3));
    // The S3 mount read through a relay that holds the stream after its first MiB until the object is replaced.
    const replace = () => storage.node('s3:obj.bin').writeBytes(Buffer.alloc(6 * MiB, 4));
    await storage.mountBackend('s3held', heldAfter(storage.node('s3:').backend, MiB, replace));
    const summary = await copyNode(storage.node('s3held:obj.bin'), storage.node('out:obj.bin'));
    failedWithIntegrity(summary, 's3held:obj.bin', /size changed from 12582912 to 6291456/);
    expect(readdirSync(join(dir.path, 'dest'))).toEqual([]);
  });

  it('an unchanged file is copied as before', async () => {
    const summary = await copyNode(storage.node('loc:grow.bin'), storage.node('s3:grow.bin'));
    expect(summary).toMatchObject({ files: 1, bytes: 12 * MiB, errors: [] });
  });
});
