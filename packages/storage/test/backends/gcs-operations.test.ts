import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { hashStream } from '@org/core';
import { expectUfsError, generated, generatedDigest, get, put, readAll } from '@org/storage-testing';
import { serviceAccount, startGcsFixture } from '../fakes/gcs-fixture.js';

// Operations of the gcs backend beyond the contract, against the local fake of the GCS JSON API
// (test/fakes/gcs-server.ts); signed URLs are verified by the fake against the test's own RSA key.
const MiB = 1024 * 1024;
const fixture = await startGcsFixture();
afterAll(() => fixture.close());
const { fake, base, create } = fixture;
const md5 = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');

describe('gcs backend operations (fake JSON API server)', () => {
  const plain = () => create({ ...base, bucket: 'ufs-plain' });
  let n = 0;
  const folder = () => `ops/${++n}`;

  describe('signed URLs (verified by the fake with the test key)', () => {
    it('refuses expired, tampered, wrong-method and unknown-key URLs', async () => {
      const b = await plain();
      const key = `${folder()}/signed.txt`;
      await put(b, key, 'signed');
      // 3 s, not 1: the expiry has whole seconds, and a loaded machine must still get its first fetch in.
      const signedAt = Date.now();
      const url = await b.presignGet!(key, { expiresIn: 3, disposition: 'attachment; filename="s.txt"' });
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-disposition')).toBe('attachment; filename="s.txt"');
      const longer = new URL(url);
      longer.searchParams.set('X-Goog-Expires', '3600');
      expect((await fetch(longer)).status).toBe(403);
      expect((await fetch(url, { method: 'PUT', body: 'overwrite' })).status).toBe(403);
      const stranger = serviceAccount('stranger@ufs-test.iam.gserviceaccount.com');
      const strangers = await create({ ...base, bucket: 'ufs-plain', credentials: stranger.credentials });
      expect((await fetch(await strangers.presignGet!(key, { expiresIn: 60 }))).status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, signedAt + 4100 - Date.now()));
      const expired = await fetch(url);
      expect(expired.status).toBe(400);
      expect(await expired.text()).toContain('ExpiredToken');
      expect((await get(b, key)).toString()).toBe('signed');
    });

    it('signs PUTs bound to a content type', async () => {
      const b = await plain();
      const key = `${folder()}/put ü.json`;
      const url = await b.presignPut!(key, { expiresIn: 60, contentType: 'application/json' });
      expect((await fetch(url, { method: 'PUT', body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(
        403,
      );
      expect(
        (await fetch(url, { method: 'PUT', body: '{"a":1}', headers: { 'content-type': 'application/json' } })).status,
      ).toBe(200);
      expect(await b.stat(key)).toMatchObject({
        size: 7,
        contentType: 'application/json',
        hash: { algorithm: 'md5', value: md5('{"a":1}') },
      });
    });
  });

  describe('writes', () => {
    it('enforces ifNotExists on one-request and resumable uploads, also when writers race', async () => {
      const b = await create({ ...base, bucket: 'ufs-plain', resumableThreshold: 1024 });
      const key = `${folder()}/once.txt`;
      await b.write(key, Readable.from([Buffer.from('small')]), { size: 5, ifNotExists: true });
      await expectUfsError(
        b.write(key, Readable.from([Buffer.from('small')]), { size: 5, ifNotExists: true }),
        'ALREADY_EXISTS',
      );
      await expectUfsError(b.write(key, generated(4096), { ifNotExists: true }), 'ALREADY_EXISTS');
      const raced = `${key}.raced`;
      const results = await Promise.allSettled(
        [1, 2, 3].map((seed) => b.write(raced, generated(64 * 1024, seed), { ifNotExists: true })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code),
      ).toEqual(['ALREADY_EXISTS', 'ALREADY_EXISTS']);
      expect((await get(b, key)).toString()).toBe('small');
    });

    it('uploads in 256 KiB chunks with progress, and stores the MD5 GCS computed', async () => {
      const b = await create({ ...base, bucket: 'ufs-plain', chunkSize: 256 * 1024 });
      const key = `${folder()}/chunked.bin`;
      const size = MiB + 1000;
      const before = fake.requests.length;
      const loaded: number[] = [];
      const result = await b.write(key, generated(size, 5), { onProgress: (x) => loaded.push(x) });
      expect(result).toMatchObject({ key, size });
      expect(result.versionId).toMatch(/^\d+$/);
      const puts = fake.requests.slice(before).filter((r) => r.startsWith('PUT /upload/'));
      expect(puts.length).toBe(5);
      expect(Math.max(...loaded)).toBe(size);
      expect((await b.stat(key))?.hash).toEqual({
        algorithm: 'md5',
        value: (await hashStream(generated(size, 5), 'md5')).digest,
      });
      expect((await hashStream(await b.read(key))).digest).toBe(await generatedDigest(size, 5));
    });

    it('aborts a resumable upload in flight, leaving nothing behind', async () => {
      const b = await plain();
      const key = `${folder()}/aborted.bin`;
      const controller = new AbortController();
      let sent = 0;
      const slow = new Readable({
        read() {
          sent += 1;
          if (sent === 3) setTimeout(() => controller.abort(), 10);
          setTimeout(() => this.push(Buffer.alloc(256 * 1024, sent)), sent > 3 ? 50 : 0);
        },
      });
      await expectUfsError(b.write(key, slow, { signal: controller.signal }), 'ABORTED');
      expect(slow.destroyed).toBe(true);
      expect(await b.stat(key)).toBeNull();
    });

    it('replaces user metadata (removing old keys), copies with new metadata keeping the content type', async () => {
      const b = await plain();
      const key = `${folder()}/meta.txt`;
      await b.write(key, Readable.from([Buffer.from('m')]), {
        metadata: { old: '1', keep: 'ü €' },
        contentType: 'text/x-test',
        cacheControl: 'no-cache',
      });
      expect(await b.stat(key)).toMatchObject({
        metadata: { old: '1', keep: 'ü €' },
        contentType: 'text/x-test',
        cacheControl: 'no-cache',
      });
      await b.setMetadata!(key, { keep: 'ü €', fresh: '2' });
      expect((await b.stat(key))?.metadata).toEqual({ keep: 'ü €', fresh: '2' });
      await b.copy!(key, `${key}.copy`, { metadata: { only: 'this' } });
      expect(await b.stat(`${key}.copy`)).toMatchObject({
        metadata: { only: 'this' },
        contentType: 'text/x-test',
        cacheControl: 'no-cache',
      });
      await b.copy!(key, `${key}.same`);
      expect((await b.stat(`${key}.same`))?.metadata).toEqual({ keep: 'ü €', fresh: '2' });
      await expectUfsError(b.setMetadata!(`${key}.absent`, { a: 'b' }), 'NOT_FOUND');
    });
  });

  describe('reads, folders and versions', () => {
    it('reads ranges, past the end and of empty objects', async () => {
      const b = await plain();
      const dir = folder();
      await put(b, `${dir}/digits.txt`, '0123456789');
      await put(b, `${dir}/empty.txt`, '');
      expect((await get(b, `${dir}/digits.txt`, { start: 10 })).length).toBe(0);
      expect((await get(b, `${dir}/digits.txt`, { start: 8, end: 100 })).toString()).toBe('89');
      expect((await get(b, `${dir}/empty.txt`, { start: 0, end: 5 })).length).toBe(0);
      expect((await get(b, `${dir}/empty.txt`)).length).toBe(0);
      // No size given: an empty resumable upload (`bytes */0`-style finish) still creates the object.
      await b.write(`${dir}/empty-resumable.txt`, Readable.from([]));
      expect(await b.stat(`${dir}/empty-resumable.txt`)).toMatchObject({ size: 0, hash: { value: md5('') } });
    });

    it('synthesises folders in stat and protects non-empty folders', async () => {
      const b = await plain();
      const root = folder();
      await put(b, `${root}/d/e/f.txt`, 'f');
      expect(await b.stat(`${root}/d`)).toEqual({ key: `${root}/d`, isDir: true, isFile: false, size: 0 });
      expect(await b.stat('')).toMatchObject({ isDir: true });
      await expectUfsError(b.delete(`${root}/d`), 'INVALID_INPUT');
      await b.delete(`${root}/d`, { recursive: true });
      expect(await b.stat(`${root}/d`)).toBeNull();
    });

    it('lists generations newest first, reads and stats old ones, deletes one', async () => {
      const b = await create({ ...base, bucket: 'ufs-versioned', versioning: true });
      const key = `${folder()}/v.txt`;
      for (const text of ['one', 'two', 'three']) await put(b, key, text);
      await put(b, `${key}.other`, 'not a version of v.txt');
      const versions = await b.versions!(key);
      expect(versions.map((v) => v.isLatest)).toEqual([true, false, false]);
      expect(versions.map((v) => v.size)).toEqual([5, 3, 3]);
      const oldest = versions[2]!.versionId;
      expect((await readAll(await b.read(key, { versionId: oldest }))).toString()).toBe('one');
      expect((await readAll(await b.read(key, { versionId: oldest, start: 1 }))).toString()).toBe('ne');
      expect(await b.stat(key, { versionId: oldest })).toMatchObject({
        versionId: oldest,
        size: 3,
        hash: { value: md5('one') },
      });
      await b.delete(key, { versionId: oldest });
      expect(await b.stat(key, { versionId: oldest })).toBeNull();
      await b.delete(key);
      expect(await b.stat(key)).toBeNull();
      expect((await b.versions!(key)).map((v) => v.isLatest)).toEqual([false, false]);
    });
  });
});
