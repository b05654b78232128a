import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isUfsError } from '@org/core';
import { loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { MAX_PARTS, MAX_PART_SIZE, partSizeFor } from '../src/providers/s3.js';
import { adminClient, freshBucket, radosgw, s3ProviderEnv } from './fakes/s3-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// S3 provider specifics against the real radosgw (no proxy): URL modes, key layout, multipart, delete, errors.
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;
let dir: string;
let cleanup: () => Promise<void>;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...s3ProviderEnv(bucket), ...extra };
}
const opts = (s3: Record<string, unknown> = {}, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['s3'],
  env: env(),
  retry: FAST_RETRY,
  providerOptions: { s3 },
  ...extra,
});

async function exists(key: string): Promise<boolean> {
  try {
    await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await removeBucket();
  admin.destroy();
  await cleanup();
});

describe('s3 (radosgw)', () => {
  it('presigned URL by default: lives 24 h, or as long as `expire` asks', async () => {
    const file = await randomFile(dir, 'signed.txt');
    const result = await uploadFile(file.path, opts());
    expect(new URL(result.url).searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(result.deleteToken).toBe(`s3://${bucket}/signed.txt`);
    const short = await uploadFile(file.path, opts({}, { expire: '2h' }));
    expect(new URL(short.url).searchParams.get('X-Amz-Expires')).toBe('7200');
    expect(short.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(7200_000);
    expect(short.verified).toBe(true);
  });

  it('a tampered presigned URL is refused by the server (so verification would catch a bad link)', async () => {
    const file = await randomFile(dir, 'tamper.txt');
    const result = await uploadFile(file.path, opts());
    const url = new URL(result.url);
    url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect((await download(url.href)).status).toBe(403);
  });

  it('public URL mode with a public-read ACL, under a key prefix, with unique names', async () => {
    const file = await randomFile(dir, 'photo one.jpg');
    const a = await uploadFile(
      file.path,
      opts({ url: 'public', acl: 'public-read', prefix: 'shared/2026/', unique: true }),
    );
    const b = await uploadFile(
      file.path,
      opts({ url: 'public', acl: 'public-read', prefix: 'shared/2026/', unique: true }),
    );
    expect(a.url).toMatch(new RegExp(`/${bucket}/shared/2026/photo%20one-[0-9a-f]{8}\\.jpg$`));
    expect(a.url).not.toBe(b.url);
    expect(a.url).not.toContain('X-Amz-');
    expect(a.verified).toBe(true);
    expect(a.expiresAt).toBeUndefined();
  });

  it('public URLs can point at a CDN base (UFS_S3_PUBLIC_URL) while uploading to the endpoint', async () => {
    const file = await randomFile(dir, 'cdn.txt');
    const rgw = radosgw();
    const result = await uploadFile(
      file.path,
      opts(
        { acl: 'public-read' },
        { env: env({ UFS_S3_URL_MODE: 'public', UFS_S3_PUBLIC_URL: `${rgw.endpoint}/${bucket}/` }) },
      ),
    );
    expect(result.url).toBe(`${rgw.endpoint}/${bucket}/cdn.txt`);
    expect(result.verified).toBe(true);
  });

  it('multipart upload for files above partSize, with progress', async () => {
    const file = await randomFile(dir, 'multi.bin', 11 * 1024 * 1024 + 123);
    const seen: number[] = [];
    const result = await uploadFile(
      file.path,
      opts({ partSize: 5 * 1024 * 1024 }, { onProgress: (e) => e.phase === 'upload' && seen.push(e.loaded) }),
    );
    expect(result.verified).toBe(true);
    expect(seen.at(-1)).toBe(file.bytes.byteLength);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('the part size grows with the file so that 10,000 parts hold it (up to the 5 TiB an object may be)', () => {
    const MiB = 1024 * 1024;
    expect(partSizeFor({ partSize: 8 * MiB }, 11 * MiB)).toBe(8 * MiB);
    expect(partSizeFor({ partSize: 8 * MiB }, 8 * MiB * MAX_PARTS)).toBe(8 * MiB);
    const big = 100 * 1024 * MiB; // 100 GiB: 8 MiB parts would need 12,800
    expect(Math.ceil(big / partSizeFor({ partSize: 8 * MiB }, big))).toBeLessThanOrEqual(MAX_PARTS);
    const max = 5 * 1024 ** 4;
    expect(partSizeFor({ partSize: 8 * MiB }, max) * MAX_PARTS).toBeGreaterThanOrEqual(max);
    expect(partSizeFor({ partSize: 8 * MiB }, max)).toBeLessThanOrEqual(MAX_PART_SIZE);
  });

  it('a part size or queue size out of range is CONFIG_INVALID naming the option, before anything is sent', async () => {
    const file = await randomFile(dir, 'parts.txt');
    for (const [options, name] of [
      [{ partSize: 1024 }, 'partSize'],
      [{ queueSize: 0 }, 'queueSize'],
    ] as const) {
      const err = await uploadFile(file.path, opts(options)).catch((e: unknown) => e);
      expect(isUfsError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(`option ${name}`);
    }
    // Not a number at all: the declared type of the option refuses it first (the caller's mistake).
    const typed = await uploadFile(file.path, opts({ partSize: 'big' })).catch((e: unknown) => e);
    expect(isUfsError(typed, 'INVALID_INPUT')).toBe(true);
    expect((typed as Error).message).toContain('providerOptions.s3.partSize: must be a whole number, got "big"');
    expect(await exists('parts.txt')).toBe(false);
    expect((await uploadFile(file.path, opts({ partSize: String(6 * 1024 * 1024) }))).verified).toBe(true);
  });

  it('delete removes the object', async () => {
    const file = await randomFile(dir, 'delete-me.txt');
    const result = await uploadFile(file.path, opts({ prefix: 'tmp' }));
    expect(await exists('tmp/delete-me.txt')).toBe(true);
    const provider = await loadProvider('s3');
    await provider.delete!(result, { env: env() });
    expect(await exists('tmp/delete-me.txt')).toBe(false);
  });

  it('a missing bucket is NOT_FOUND, wrong keys are PERMISSION_DENIED: permanent, not retried', async () => {
    const file = await randomFile(dir, 'err.txt');
    const missing = await uploadFile(file.path, opts({}, { env: env({ AWS_S3_BUCKET: 'no-such-bucket-ufs' }) })).catch(
      (e: unknown) => e,
    );
    expect(isUfsError(missing, 'NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toMatch(/NoSuchBucket/);
    const denied = await uploadFile(file.path, opts({}, { env: env({ AWS_SECRET_ACCESS_KEY: 'wrong' }) })).catch(
      (e: unknown) => e,
    );
    expect(isUfsError(denied, 'PERMISSION_DENIED')).toBe(true);
    expect((denied as { context: { failures: Array<{ attempts: number }> } }).context.failures[0]!.attempts).toBe(1);
  });

  it('expire beyond 7 days, or with public URLs, is refused before uploading', async () => {
    const file = await randomFile(dir, 'long.txt');
    const tooLong = await uploadFile(file.path, opts({}, { expire: '8d' })).catch((e: unknown) => e);
    expect(isUfsError(tooLong, 'INVALID_INPUT')).toBe(true);
    expect((tooLong as Error).message).toMatch(/7 days/);
    const pub = await uploadFile(file.path, opts({ url: 'public' }, { expire: '1h' })).catch((e: unknown) => e);
    expect((pub as Error).message).toMatch(/presigned URLs only/);
    expect(await exists('long.txt')).toBe(false);
  });

  it('status: not ready without a bucket, with help', async () => {
    const provider = await loadProvider('s3');
    expect(provider.status({})).toMatchObject({
      ready: false,
      reason: 'AWS_S3_BUCKET is not set',
      help: expect.stringContaining('AWS_ENDPOINT_URL'),
    });
    expect(provider.status(env()).ready).toBe(true);
    expect(provider.status(env({ UFS_S3_URL_MODE: 'weird' }))).toMatchObject({
      ready: false,
      reason: expect.stringContaining('presigned'),
    });
  });
});
