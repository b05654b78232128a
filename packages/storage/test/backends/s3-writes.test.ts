// s3 backend against a real Ceph radosgw: multipart writes, aborts and injected faults (no part may leak),
// conditional writes, server-side and multipart copies, metadata.
import { Readable } from 'node:stream';
import { HeadBucketCommand, HeadObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { hashStream, type StorageBackend } from '@org/core';
import { expectUfsError, generated, generatedDigest, get, put } from '@org/storage-testing';
import definition from '../../src/backends/s3/index.js';
import { faultyClient, openUploads, s3Fixture } from '../services/s3.js';

const MiB = 1024 * 1024;
const { raw, bucket, versionedBucket, connection, opened } = await s3Fixture('writes');

async function create(options: Record<string, unknown> = {}): Promise<StorageBackend> {
  const withConnection = options.client ? options : { ...connection, ...options };
  const parsed = definition.options.parse({ bucket, ...withConnection });
  const backend = await definition.create(parsed, { mountName: 's3-writes', env: {} });
  opened.push(backend);
  return backend;
}
let n = 0;
const folder = () => `writes/${++n}`;
const multipart = { partSize: 5 * MiB, queueSize: 2 };

/** `size` bytes, then silence until destroyed (a stalled network source). */
function stallingAfter(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return;
      sent += MiB;
      this.push(Buffer.alloc(MiB, sent / MiB));
    },
  });
}

/** `size` bytes, then an error once the reader asks for more. */
function breakingAfter(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.destroy(new Error(`source broke after ${size / MiB} MiB`));
      sent += MiB;
      this.push(Buffer.alloc(MiB, sent / MiB));
    },
  });
}

describe('s3 multipart writes (radosgw)', () => {
  it('round-trips 20 MiB in 5 MiB parts with progress, and claims no MD5 for the multipart ETag', async () => {
    const b = await create(multipart);
    const key = `${folder()}/big.bin`;
    const progress: number[] = [];
    const result = await b.write(key, generated(20 * MiB, 11), { onProgress: (loaded) => progress.push(loaded) });
    expect(result).toMatchObject({ key, size: 20 * MiB });
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress.at(-1)).toBe(20 * MiB);
    const stat = await b.stat(key);
    expect(stat).toMatchObject({ isFile: true, size: 20 * MiB, etag: expect.stringMatching(/^[0-9a-f]{32}-4$/) });
    if (result.etag !== undefined) expect(result.etag).toBe(stat?.etag);
    expect(stat?.hash).toBeUndefined();
    const { digest, size } = await hashStream(await b.read(key));
    expect({ digest, size }).toEqual({ digest: await generatedDigest(20 * MiB, 11), size: 20 * MiB });
    // A range across the first part boundary, and an open-ended one from the last part.
    const whole = await get(b, key, { start: 5 * MiB - 3, end: 5 * MiB + 2 });
    const reference = await readRange(generated(20 * MiB, 11), 5 * MiB - 3, 5 * MiB + 2);
    expect(whole).toEqual(reference);
    expect((await get(b, key, { start: 20 * MiB - 10 })).length).toBe(10);
    expect(await openUploads(raw, bucket, key)).toEqual([]);
  });

  it('an abort mid-upload cancels the parts in flight and aborts the multipart upload', async () => {
    const sent: string[] = [];
    const b = await create({
      client: faultyClient(raw, (command) => sent.push(command.constructor.name)),
      ...multipart,
    });
    const key = `${folder()}/aborted.bin`;
    const controller = new AbortController();
    const source = stallingAfter(12 * MiB);
    const started = Date.now();
    const error = await expectUfsError(
      b.write(key, source, { signal: controller.signal, onProgress: () => controller.abort() }),
      'ABORTED',
    );
    expect(error.message).toBe(`[ufs] [s3] write "s3-writes:${key}": aborted`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(source.destroyed).toBe(true);
    expect(sent).toContain('UploadPartCommand');
    expect(sent.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    expect(await openUploads(raw, bucket, key)).toEqual([]);
    expect(await b.stat(key)).toBeNull();
  });

  it('a failing part (fault injected into the real client) aborts the upload and rethrows the first error', async () => {
    const client = faultyClient(raw, (command, count) => {
      if (command instanceof UploadPartCommand && count === 3) throw new Error('injected fault in part 3');
    });
    const b = await create({ client, ...multipart, queueSize: 1 });
    const key = `${folder()}/faulty.bin`;
    const error = await expectUfsError(b.write(key, generated(22 * MiB)), 'UNEXPECTED');
    expect(error.message).toMatch(/^\[ufs\] \[s3\] write ".*faulty\.bin": injected fault in part 3$/);
    expect(error.context).toMatchObject({
      backend: 's3',
      mount: 's3-writes',
      operation: 'write',
      path: `s3-writes:${key}`,
    });
    expect(await openUploads(raw, bucket, key)).toEqual([]);
    expect(await b.stat(key)).toBeNull();
    await b.dispose!();
    // The client was handed in, so dispose() left it open.
    await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  });

  it('a source failing after two parts aborts the upload and keeps the old object', async () => {
    const sent: string[] = [];
    const b = await create({
      client: faultyClient(raw, (command) => sent.push(command.constructor.name)),
      ...multipart,
    });
    const key = `${folder()}/broken.bin`;
    await put(b, key, 'previous content');
    const error = await expectUfsError(b.write(key, breakingAfter(12 * MiB)));
    expect(error.message).toMatch(/source broke after 12 MiB/);
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(2);
    expect(sent.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(await openUploads(raw, bucket, key)).toEqual([]);
    expect((await get(b, key)).toString()).toBe('previous content');
  });
});

describe('s3 conditional writes (radosgw)', () => {
  it('refuses an existing key with ALREADY_EXISTS from the 412 of If-None-Match', async () => {
    const b = await create();
    const key = `${folder()}/once.txt`;
    await b.write(key, Readable.from([Buffer.from('first')]), { ifNotExists: true });
    const error = await expectUfsError(
      b.write(key, Readable.from([Buffer.from('second')]), { ifNotExists: true }),
      'ALREADY_EXISTS',
    );
    expect(error.message).toBe(
      `[ufs] [s3] write "s3-writes:${key}": the object already exists (HTTP 412 PreconditionFailed)`,
    );
    expect(error.context).toMatchObject({ status: 412, bucket });
    expect((await get(b, key)).toString()).toBe('first');
  });

  it('refuses an existing key before a multipart upload starts, and writes a free one', async () => {
    const b = await create(multipart);
    const key = `${folder()}/large-once.bin`;
    await put(b, key, 'small original');
    await expectUfsError(b.write(key, generated(12 * MiB), { ifNotExists: true }), 'ALREADY_EXISTS');
    expect((await get(b, key)).toString()).toBe('small original');
    expect(await openUploads(raw, bucket, key)).toEqual([]);
    const fresh = `${folder()}/large-fresh.bin`;
    await expect(b.write(fresh, generated(12 * MiB), { ifNotExists: true })).resolves.toMatchObject({ size: 12 * MiB });
  });

  it('with conditionalWrite: false (radosgw 16 on versioned buckets) declares it and still checks first', async () => {
    const b = await create({ bucket: versionedBucket, conditionalWrite: false });
    expect(b.capabilities.conditionalWrite).toBe(false);
    const key = `${folder()}/checked.txt`;
    await b.write(key, Readable.from([Buffer.from('kept')]), { ifNotExists: true });
    await expectUfsError(b.write(key, Readable.from([Buffer.from('lost')]), { ifNotExists: true }), 'ALREADY_EXISTS');
    expect((await get(b, key)).toString()).toBe('kept');
  });
});

describe('s3 copies and metadata (radosgw)', () => {
  it('copies with metadata REPLACE, keeping content type and cache control', async () => {
    const b = await create();
    const dir = folder();
    await b.write(`${dir}/src.json`, Readable.from([Buffer.from('{"a":1}')]), {
      contentType: 'application/json',
      cacheControl: 'max-age=60',
      metadata: { colour: 'red', size: 'xl' },
    });
    await b.copy!(`${dir}/src.json`, `${dir}/same.json`);
    expect(await b.stat(`${dir}/same.json`)).toMatchObject({ metadata: { colour: 'red', size: 'xl' } });
    await b.copy!(`${dir}/src.json`, `${dir}/replaced.json`, { metadata: { colour: 'blue' } });
    const replaced = await b.stat(`${dir}/replaced.json`);
    expect(replaced).toMatchObject({ contentType: 'application/json', cacheControl: 'max-age=60' });
    expect(replaced?.metadata).toEqual({ colour: 'blue' });
    expect((await get(b, `${dir}/replaced.json`)).toString()).toBe('{"a":1}');
    await b.copy!(`${dir}/src.json`, `${dir}/src.json`);
    expect((await b.stat(`${dir}/src.json`))?.metadata).toEqual({ colour: 'red', size: 'xl' });
    const missing = await expectUfsError(b.copy!(`${dir}/absent`, `${dir}/x`), 'NOT_FOUND');
    expect(missing.context).toMatchObject({ operation: 'copy', path: `s3-writes:${dir}/absent`, to: `${dir}/x` });
  });

  it('copies objects above multipartCopyThreshold part by part (UploadPartCopy)', async () => {
    const b = await create({ ...multipart, multipartCopyThreshold: '5MiB', copyPartSize: '5MiB' });
    const dir = folder();
    await b.write(`${dir}/src.bin`, generated(12 * MiB, 9), { contentType: 'video/mp4', metadata: { take: '2' } });
    await b.copy!(`${dir}/src.bin`, `${dir}/dst.bin`);
    const stat = await b.stat(`${dir}/dst.bin`);
    expect(stat).toMatchObject({ size: 12 * MiB, contentType: 'video/mp4', metadata: { take: '2' } });
    expect(stat?.etag).toMatch(/-3$/);
    expect((await hashStream(await b.read(`${dir}/dst.bin`))).digest).toBe(await generatedDigest(12 * MiB, 9));
    await b.setMetadata!(`${dir}/dst.bin`, { take: '3' });
    expect(await b.stat(`${dir}/dst.bin`)).toMatchObject({
      size: 12 * MiB,
      contentType: 'video/mp4',
      metadata: { take: '3' },
    });
    expect(await openUploads(raw, bucket, dir)).toEqual([]);
  });

  it('keeps non-ASCII metadata values (RFC 2047 on the wire) and refuses bad names', async () => {
    const b = await create();
    const key = `${folder()}/unicode.txt`;
    await b.write(key, Readable.from([Buffer.from('x')]), { metadata: { author: 'José 文件', plain: 'ascii' } });
    expect((await b.stat(key))?.metadata).toEqual({ author: 'José 文件', plain: 'ascii' });
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata?.author).toMatch(/^=\?UTF-8\?B\?/);
    await expectUfsError(b.setMetadata!(key, { 'bad name': 'x' }), 'INVALID_INPUT');
    await expectUfsError(b.setMetadata!(`${key}.absent`, { a: 'b' }), 'NOT_FOUND');
  });
});

async function readRange(stream: Readable, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end + 1 - offset, chunk.length);
    if (from < to) parts.push(chunk.subarray(from, to));
    offset += chunk.length;
  }
  return Buffer.concat(parts);
}

export type { S3Client };
