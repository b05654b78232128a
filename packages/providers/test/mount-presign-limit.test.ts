import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UfsError } from '@org/core';
import { ufsFailure } from '@org/core/testing';
import { StorageManager, interceptBackend } from '@org/storage';
import { startDropboxFake } from '@org/test-services';
import { providerStatus, uploadFile, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, radosgw } from './fakes/s3-harness.js';
import { s3Mount } from './fakes/mount-harness.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// The mount provider on an S3 mount (real radosgw): a presigned lifetime the mount cannot sign (S3: at most 7 days)
// is refused before anything is written, and makes the provider not ready; a failure after the write deletes the
// file written (or names it when that fails too).
let dir: string;
let cleanup: () => Promise<void>;
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;

const s3 = () => s3Mount('bucket', bucket, radosgw().endpoint);
const opts = (mount: Record<string, unknown>, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['mount'],
  env: {},
  retry: FAST_RETRY,
  providerOptions: { mount: { mounts: [s3()], target: 'bucket:pub', ...mount } },
  ...extra,
});

async function s3Exists(key: string): Promise<boolean> {
  return admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

/** A manager whose mount `flaky` is the real S3 mount, except that presigning (and, if asked, deleting) fails. */
async function flakyStorage(failDelete: boolean): Promise<StorageManager> {
  const storage = new StorageManager({ env: {} });
  await storage.configure([s3()]);
  const real = storage.resolveMount('bucket').backend();
  const broken = (op: string) => new UfsError('UNAVAILABLE', `[ufs] ${op} broke`, { retryable: false });
  await storage.mountBackend(
    'flaky',
    interceptBackend(real, (call, next) => {
      if (call.op === 'presignGet') return Promise.reject(broken('presign'));
      if (call.op === 'delete' && failDelete) return Promise.reject(broken('delete'));
      return next();
    }),
    { permissions: 'delete' },
  );
  return storage;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ufs-mount-presign-'));
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
});
afterAll(async () => {
  await removeBucket();
  admin.destroy();
  await cleanup();
});

describe('mount provider: presigned lifetime the mount cannot sign', () => {
  it('expire longer than 7 days is refused before writing, in the words it was given', async () => {
    const file = await randomFile(dir, 'f.txt', 1000);
    const error = await ufsFailure(uploadFile(file.path, opts({}, { expire: '8d' })));
    expect(error.context.failures).toEqual([expect.objectContaining({ provider: 'mount', code: 'INVALID_INPUT' })]);
    expect(error.message).toMatch(
      /\[mount\] upload "f\.txt": expire "8d" is longer than mount "bucket" \(s3\) can presign: at most 7d; nothing was written/,
    );
    expect(error.message).not.toMatch(/691200/);
    expect(await s3Exists('pub/f.txt')).toBe(false);
    // 7 days is what S3 signs
    const ok = await uploadFile(file.path, opts({}, { expire: '7d' }));
    expect(new URL(ok.url).searchParams.get('X-Amz-Expires')).toBe('604800');
  });

  it('expiresIn longer than 7 days: not ready in providerStatus, and refused before writing', async () => {
    const status = await providerStatus('mount', {}, { mounts: [s3()], target: 'bucket:pub', expiresIn: '30d' });
    expect(status).toMatchObject({ ready: false });
    expect(status.reason).toMatch(/expiresIn 30d is longer than mount "bucket" \(s3\) can presign: at most 7d$/);
    expect(status.help).toMatch(/expiresIn/);
    expect(await providerStatus('mount', {}, { mounts: [s3()], target: 'bucket:pub', expiresIn: '7d' })).toMatchObject({
      ready: true,
    });

    const file = await randomFile(dir, 'g.txt', 1000);
    const error = await ufsFailure(uploadFile(file.path, opts({ expiresIn: '30d' })));
    expect(error.message).toMatch(/expiresIn 30d is longer than mount "bucket" \(s3\) can presign: at most 7d/);
    expect(await s3Exists('pub/g.txt')).toBe(false);
  });
});

describe('mount provider: a mount whose links have one lifetime (Dropbox: 4 h)', () => {
  it('gives that lifetime by default; another expire is refused before writing', async () => {
    const dropbox = await startDropboxFake();
    try {
      dropbox.tokens.add('good-token');
      const box = { name: 'box', protocol: 'dropbox', accessToken: 'good-token', apiBaseUrl: dropbox.url, root: '/u' };
      const file = await randomFile(dir, 'd.txt', 500);
      const started = Date.now();
      const result = await uploadFile(file.path, opts({ mounts: [box], target: 'box:pub' }, { verify: false }));
      expect(result.expiresAt!.getTime() - started).toBeGreaterThan(4 * 3_600_000 - 5000);
      expect(result.expiresAt!.getTime() - started).toBeLessThan(4 * 3_600_000 + 5000);

      const other = await randomFile(dir, 'e.txt', 500);
      const error = await ufsFailure(
        uploadFile(other.path, opts({ mounts: [box], target: 'box:pub' }, { expire: '1h', verify: false })),
      );
      expect(error.message).toMatch(
        /expire "1h" cannot be given: mount "box" \(dropbox\) presigns links of one lifetime, 4h/,
      );
      expect(error.message).not.toMatch(/the file written/); // refused before writing
    } finally {
      await dropbox.close();
    }
  });
});

describe('mount provider: a failure after the write', () => {
  it('deletes the file written, and says so', async () => {
    const storage = await flakyStorage(false);
    try {
      const file = await randomFile(dir, 'h.txt', 1000);
      const error = await ufsFailure(uploadFile(file.path, opts({ storage, target: 'flaky:pub' })));
      expect(error.message).toMatch(/presign broke; the file written, flaky:pub\/h\.txt, was deleted again/);
      expect(await s3Exists('pub/h.txt')).toBe(false);
    } finally {
      await storage.dispose();
    }
  });

  it('names the file written when it cannot be deleted, so it is never lost track of', async () => {
    const storage = await flakyStorage(true);
    try {
      const file = await randomFile(dir, 'i.txt', 1000);
      const error = await ufsFailure(uploadFile(file.path, opts({ storage, target: 'flaky:pub' })));
      expect(error.message).toMatch(
        /presign broke; the file written, flaky:pub\/i\.txt, is left behind \(not deleted: .*delete broke\)/,
      );
      expect(error.context.failures).toEqual([
        expect.objectContaining({ provider: 'mount', reason: expect.stringMatching(/left behind/) }),
      ]);
      expect(await s3Exists('pub/i.txt')).toBe(true);
    } finally {
      await storage.dispose();
    }
  });
});
