import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UfsError } from '@org/core';
import { ufsFailure } from '@org/core/testing';
import { StorageManager, interceptBackend } from '@org/storage';
import { loadProvider, uploadFile, type UploadEvent, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, radosgw } from './fakes/s3-harness.js';
import { s3Mount } from './fakes/mount-harness.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// The mount provider on an S3 mount (real radosgw) whose presigning fails after the file is written: the file it
// could not delete again is in the report entry where a script finds it (`url` and `deleteToken`: its mount:path,
// `deleted: false`, `deleteError`), and that token deletes it; one it did delete again says so there too.
let dir: string;
let cleanup: () => Promise<void>;
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;

const opts = (storage: StorageManager, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['mount'],
  env: {},
  retry: FAST_RETRY,
  maxAttempts: 1,
  providerOptions: { mount: { storage, target: 'flaky:pub' } },
  ...extra,
});

async function s3Exists(key: string): Promise<boolean> {
  return admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

/** Mount `flaky`: the real S3 mount, except that presigning fails, and so do the first `failDeletes` deletes. */
async function flakyStorage(failDeletes: number): Promise<StorageManager> {
  const storage = new StorageManager({ env: {} });
  await storage.configure([s3Mount('bucket', bucket, radosgw().endpoint)]);
  const real = storage.resolveMount('bucket').backend();
  const broken = (op: string) => new UfsError('UNAVAILABLE', `[ufs] ${op} broke`, { retryable: false });
  let deletes = 0;
  await storage.mountBackend(
    'flaky',
    interceptBackend(real, (call, next) => {
      if (call.op === 'presignGet') return Promise.reject(broken('presign'));
      if (call.op === 'delete' && deletes++ < failDeletes) return Promise.reject(broken('delete'));
      return next();
    }),
    { permissions: 'delete' },
  );
  return storage;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ufs-mount-copy-left-'));
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
});
afterAll(async () => {
  await removeBucket?.();
  admin?.destroy();
  await cleanup?.();
});

describe('mount provider: a copy left behind is in the report entry', () => {
  it('url and deleteToken name it (mount:path), deleted false with deleteError; the token deletes it', async () => {
    const storage = await flakyStorage(1);
    try {
      const file = await randomFile(dir, 'left.txt', 1000);
      const events: UploadEvent[] = [];
      const error = await ufsFailure(uploadFile(file.path, opts(storage, { onEvent: (e) => events.push(e) })));
      expect(error.context.failures).toEqual([
        expect.objectContaining({
          provider: 'mount',
          outcome: 'failed',
          url: 'flaky:pub/left.txt',
          deleteToken: 'flaky:pub/left.txt',
          deleted: false,
          deleteError: expect.stringMatching(/delete broke/),
        }),
      ]);
      // As `ufs upload --json` prints it (the error's JSON).
      const json = JSON.parse(JSON.stringify(error.toJSON())) as {
        context: { failures: Array<{ deleteToken?: string }> };
      };
      expect(json.context.failures[0]!.deleteToken).toBe('flaky:pub/left.txt');
      expect(events.find((e) => e.type === 'failure')).toMatchObject({
        copy: { url: 'flaky:pub/left.txt', deleted: false },
      });
      expect(await s3Exists('pub/left.txt')).toBe(true);

      // What the entry gives is enough to delete it.
      const mount = await loadProvider('mount');
      const [entry] = error.context.failures as Array<{ url: string; deleteToken: string }>;
      await mount.delete!({ url: entry!.url, deleteToken: entry!.deleteToken }, { storage });
      expect(await s3Exists('pub/left.txt')).toBe(false);
    } finally {
      await storage.dispose();
    }
  });

  it('a copy deleted again: the entry says so (deleted true, no deleteError)', async () => {
    const storage = await flakyStorage(0);
    try {
      const file = await randomFile(dir, 'gone.txt', 1000);
      const error = await ufsFailure(uploadFile(file.path, opts(storage)));
      const [entry] = error.context.failures as Array<Record<string, unknown>>;
      expect(entry).toMatchObject({ provider: 'mount', deleteToken: 'flaky:pub/gone.txt', deleted: true });
      expect(entry!.deleteError).toBeUndefined();
      expect(await s3Exists('pub/gone.txt')).toBe(false);
    } finally {
      await storage.dispose();
    }
  });
});
