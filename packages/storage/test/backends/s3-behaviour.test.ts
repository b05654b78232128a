// s3 backend against a real Ceph radosgw: error mapping (credentials, missing bucket, unreachable endpoint),
// presigned URLs (expiry, tampering), folders and listings, deletes (batched, without read permission), versions.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { type StorageBackend } from '@org/core';
import { expectUfsError, get, listAll, put, readAll } from '@org/storage-testing';
import { freePort } from '@org/test-services';
import definition from '../../src/backends/s3/index.js';
import { s3Fixture } from '../services/s3.js';

const { s3, raw, bucket, versionedBucket, connection, opened } = await s3Fixture('behaviour');

async function create(options: Record<string, unknown> = {}): Promise<StorageBackend> {
  const parsed = definition.options.parse({ ...connection, bucket, ...options });
  const backend = await definition.create(parsed, { mountName: 's3-behaviour', env: {} });
  opened.push(backend);
  return backend;
}
const b = await create();
let n = 0;
const folder = () => `behaviour/${++n}`;
const text = (s: string) => Readable.from([Buffer.from(s)]);

describe('s3 error mapping (radosgw)', () => {
  it('maps an unknown access key to PERMISSION_DENIED, saying which setting to check', async () => {
    const wrong = await create({ accessKeyId: 'NOSUCHKEY', secretAccessKey: 'nope', versioning: false });
    const error = await expectUfsError(wrong.list(''), 'PERMISSION_DENIED');
    expect(error.message).toMatch(
      /^\[ufs\] \[s3\] list "s3-behaviour:": the access key id is not known .*check accessKeyId.*InvalidAccessKeyId/,
    );
    expect(error.retryable).toBe(false);
    await expectUfsError(wrong.read('a.txt'), 'PERMISSION_DENIED');
    await expectUfsError(wrong.write('a.txt', text('x')), 'PERMISSION_DENIED');
    await expectUfsError(wrong.stat('a.txt'), 'PERMISSION_DENIED');
  });

  it('maps a wrong secret to PERMISSION_DENIED (SignatureDoesNotMatch)', async () => {
    const wrong = await create({ secretAccessKey: `${s3.secretAccessKey}x`, versioning: false });
    const error = await expectUfsError(wrong.read('a.txt'), 'PERMISSION_DENIED');
    expect(error.message).toMatch(/signature does not match \(check secretAccessKey and region\)/);
    expect(error.context).toMatchObject({
      backend: 's3',
      mount: 's3-behaviour',
      operation: 'read',
      path: 's3-behaviour:a.txt',
      status: 403,
    });
  });

  it('names a missing bucket in NOT_FOUND errors', async () => {
    const missing = `ufs-missing-${randomBytes(3).toString('hex')}`;
    const gone = await create({ bucket: missing });
    expect(gone.capabilities.versioning).toBe(false);
    const expected = `bucket "${missing}" does not exist`;
    expect((await expectUfsError(gone.list('photos'), 'NOT_FOUND')).message).toBe(
      `[ufs] [s3] list "s3-behaviour:photos": ${expected}`,
    );
    expect((await expectUfsError(gone.stat('a.txt'), 'NOT_FOUND')).message).toContain(expected);
    expect((await expectUfsError(gone.read('a.txt'), 'NOT_FOUND')).message).toContain(expected);
    expect((await expectUfsError(gone.write('a.txt', text('x')), 'NOT_FOUND')).message).toContain(expected);
    expect((await expectUfsError(gone.delete('t', { recursive: true }), 'NOT_FOUND')).message).toContain(expected);
  });

  it('maps a missing key to NOT_FOUND with context, and an unreachable endpoint to retryable UNAVAILABLE', async () => {
    const error = await expectUfsError(b.read('no/such/key.txt'), 'NOT_FOUND');
    expect(error.message).toBe('[ufs] [s3] read "s3-behaviour:no/such/key.txt": no such object (HTTP 404 NoSuchKey)');
    expect(error.context).toMatchObject({
      backend: 's3',
      mount: 's3-behaviour',
      operation: 'read',
      path: 's3-behaviour:no/such/key.txt',
      bucket,
    });
    const port = await freePort();
    const offline = await create({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1, versioning: false });
    const down = await expectUfsError(offline.stat('a.txt'), 'UNAVAILABLE');
    expect(down.retryable).toBe(true);
    expect(down.message).toBe(
      `[ufs] [s3] stat "s3-behaviour:a.txt": connection refused: 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });
});

describe('s3 presigned URLs (radosgw)', () => {
  it('stop working once expired', async () => {
    const key = `${folder()}/soon-gone.txt`;
    await put(b, key, 'short-lived');
    // X-Amz-Date has whole seconds, so a URL may lose up to a second at once: 3 s leaves the first fetch at least 2 s
    // even on a loaded machine (CI once took over a second to fetch a 1-second URL).
    const signedAt = Date.now();
    const url = await b.presignGet!(key, { expiresIn: 3 });
    expect((await fetch(url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, signedAt + 4100 - Date.now()));
    expect((await fetch(url)).status).toBe(403);
  });

  it('are refused when the path or the expiry is changed', async () => {
    const dir = folder();
    await put(b, `${dir}/a.txt`, 'a');
    await put(b, `${dir}/b.txt`, 'b');
    const url = new URL(await b.presignGet!(`${dir}/a.txt`, { expiresIn: 300 }));
    const otherKey = new URL(url.href);
    otherKey.pathname = otherKey.pathname.replace(/a\.txt$/, 'b.txt');
    expect((await fetch(otherKey)).status).toBe(403);
    const longer = new URL(url.href);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect((await fetch(longer)).status).toBe(403);
  });

  it('serve a chosen disposition, and PUT URLs bind the content type', async () => {
    const dir = folder();
    await put(b, `${dir}/report.csv`, 'a,b');
    const get1 = await fetch(
      await b.presignGet!(`${dir}/report.csv`, { expiresIn: 60, disposition: 'attachment; filename="r.csv"' }),
    );
    expect(get1.headers.get('content-disposition')).toBe('attachment; filename="r.csv"');
    const url = await b.presignPut!(`${dir}/up.json`, { expiresIn: 60, contentType: 'application/json' });
    const wrongType = await fetch(url, { method: 'PUT', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(403);
    const ok = await fetch(url, {
      method: 'PUT',
      body: '{"ok":true}',
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(200);
    expect(await b.stat(`${dir}/up.json`)).toMatchObject({ size: 11, contentType: 'application/json' });
  });
});

describe('s3 folders and listings (radosgw)', () => {
  it('sees folders in prefixes and folder markers, and the root as a folder', async () => {
    const dir = folder();
    await put(b, `${dir}/implicit/file.txt`, 'x');
    await raw.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${dir}/marker/`, Body: Buffer.alloc(0), ContentLength: 0 }),
    );
    expect(await b.stat(`${dir}/implicit`)).toEqual({ key: `${dir}/implicit`, isFile: false, isDir: true, size: 0 });
    expect(await b.stat(`${dir}/marker`)).toMatchObject({ isDir: true });
    expect(await b.stat(`${dir}/nothing`)).toBeNull();
    expect(await b.stat('')).toMatchObject({ key: '', isDir: true });
    expect((await listAll(b, dir)).map((e) => [e.key, e.isDir])).toEqual([
      [`${dir}/implicit`, true],
      [`${dir}/marker`, true],
    ]);
    expect(await listAll(b, `${dir}/marker`)).toEqual([]);
  });

  it('lists recursively with each folder once, before its content, in pages of at most pageSize', async () => {
    const dir = folder();
    const files = ['a.txt', 'x/b.txt', 'x/c.txt', 'x/y/d.txt', 'x/y/z/e.txt', 'x0.txt', 'z/f.txt'];
    for (const f of files) await put(b, `${dir}/${f}`, f);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await b.list(dir, { recursive: true, pageSize: 2, cursor });
      pages.push(page.entries.map((e) => `${e.isDir ? 'D' : 'F'} ${e.key.slice(dir.length + 1)}`));
      cursor = page.cursor;
    } while (cursor);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
    expect(pages.flat()).toEqual([
      'F a.txt',
      'D x',
      'F x/b.txt',
      'F x/c.txt',
      'D x/y',
      'F x/y/d.txt',
      'D x/y/z',
      'F x/y/z/e.txt',
      'F x0.txt',
      'D z',
      'F z/f.txt',
    ]);
    const level = await b.list(dir, { pageSize: 2 });
    await expectUfsError(b.list(dir, { recursive: true, cursor: level.cursor }), 'INVALID_INPUT');
    await expectUfsError(b.list(dir, { pageSize: 0 }), 'INVALID_INPUT');
  });

  it('keeps a prefixed mount inside its prefix', async () => {
    const dir = folder();
    const inner = await create({ prefix: `${dir}/inner` });
    await put(inner, 'a.txt', 'inside');
    await put(b, `${dir}/inner-sibling/b.txt`, 'outside');
    await put(b, `${dir}/outer.txt`, 'outside');
    expect((await get(b, `${dir}/inner/a.txt`)).toString()).toBe('inside');
    expect((await listAll(inner, '')).map((e) => e.key)).toEqual(['a.txt']);
    expect((await listAll(inner, '', { recursive: true })).map((e) => e.key)).toEqual(['a.txt']);
    await inner.delete('', { recursive: true });
    expect(await b.stat(`${dir}/inner/a.txt`)).toBeNull();
    expect(await b.stat(`${dir}/inner-sibling/b.txt`)).not.toBeNull();
  });

  it('reads nothing for ranges past the end or reversed, and refuses bad offsets', async () => {
    const key = `${folder()}/short.txt`;
    await put(b, key, 'short');
    expect(await get(b, key, { start: 100 })).toEqual(Buffer.alloc(0));
    expect(await get(b, key, { start: 3, end: 2 })).toEqual(Buffer.alloc(0));
    await expectUfsError(b.read(key, { start: -5 }), 'INVALID_INPUT');
    await expectUfsError(b.read(key, { start: 0, end: 1.5 }), 'INVALID_INPUT');
  });

  it('refuses a delete of a folder that is not empty without recursive, like every backend, deleting nothing', async () => {
    const dir = folder();
    await put(b, `${dir}/full/a.txt`, 'a');
    await expectUfsError(b.delete(`${dir}/full`), 'INVALID_INPUT');
    expect(await b.stat(`${dir}/full/a.txt`)).not.toBeNull();
    // An empty folder (its marker object only) goes, like rmdir; so does a file that has objects below its name.
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/empty/`, Body: Buffer.alloc(0) }));
    await b.delete(`${dir}/empty`);
    expect(await b.stat(`${dir}/empty`)).toBeNull();
    await put(b, `${dir}/full`, 'a file beside the folder');
    await b.delete(`${dir}/full`);
    expect(await b.stat(`${dir}/full`)).toMatchObject({ isDir: true });
    expect(await b.stat(`${dir}/full/a.txt`)).not.toBeNull();
    await expect(b.delete(`${dir}/never`)).resolves.toBeUndefined();
  });

  it('deletes a file it may delete but not read (its HEAD answers 403) with a plain delete', async () => {
    const key = `${folder()}/write-only.txt`;
    await put(b, key, 'x');
    const Statement = [
      { Effect: 'Deny', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/${key}`] },
    ];
    await raw.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }),
    );
    try {
      await expectUfsError(b.read(key), 'PERMISSION_DENIED'); // the policy holds
      await b.delete(key);
    } finally {
      await raw.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    }
    expect(await b.stat(key)).toBeNull();
  });

  it('deletes trees of more than 1000 objects in batches', async () => {
    const dir = folder();
    const keys = Array.from({ length: 1010 }, (_, i) => `${dir}/tree/${i % 3}/f${i}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => raw.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }))),
      );
    }
    await put(b, `${dir}/tree-kept.txt`, 'kept');
    await b.delete(`${dir}/tree`, { recursive: true });
    expect(await listAll(b, `${dir}/tree`, { recursive: true })).toEqual([]);
    expect(await b.stat(`${dir}/tree-kept.txt`)).not.toBeNull();
  }, 60_000);
});

describe('s3 versions (radosgw, versioned bucket)', () => {
  it('lists versions and delete markers of exactly one key, reads and deletes by version id', async () => {
    const v = await create({ bucket: versionedBucket });
    expect(v.capabilities.versioning).toBe(true);
    const dir = folder();
    const key = `${dir}/doc.txt`;
    const first = await v.write(key, text('one'));
    await v.write(key, text('two!'));
    await put(v, `${key}2`, 'neighbour');
    await put(v, `${key}/child.txt`, 'child');
    await v.delete(key);
    // Deleted as a file; still a folder, since doc.txt/child.txt lies below it.
    expect(await v.stat(key)).toMatchObject({ isFile: false, isDir: true });
    const versions = await v.versions!(key);
    expect(versions.map((x) => [x.isLatest, x.isDeleteMarker, x.size])).toEqual([
      [true, true, 0],
      [false, false, 4],
      [false, false, 3],
    ]);
    expect(first.versionId).toBe(versions[2]!.versionId);
    expect(await v.stat(key, { versionId: first.versionId! })).toMatchObject({ size: 3, versionId: first.versionId });
    expect((await readAll(await v.read(key, { versionId: first.versionId! }))).toString()).toBe('one');
    // Removing the delete marker brings the newest version back.
    await v.delete(key, { versionId: versions[0]!.versionId });
    expect((await get(v, key)).toString()).toBe('two!');
    await expectUfsError(v.read(key, { versionId: 'no-such-version' }), 'NOT_FOUND', 'INVALID_INPUT');
  });

  it('declares versioning only where the bucket has it', async () => {
    expect(b.capabilities.versioning).toBe(false);
    await expectUfsError(b.versions!('x.txt'), 'UNSUPPORTED');
    const forced = await create({ bucket: versionedBucket, versioning: 'false' });
    expect(forced.capabilities.versioning).toBe(false);
  });
});
