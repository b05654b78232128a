import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { ufsFailure } from '@org/core/testing';
import { loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, radosgw, s3ProviderEnv } from './fakes/s3-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The S3 endpoint is a base URL like any other: one the upload would refuse makes the provider not ready, and the
// upload is CONFIG_INVALID before anything is sent, not UNEXPECTED with the SDK's words. A good one (real radosgw)
// still works, with or without a trailing slash.
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;
let dir: string;
let cleanup: () => Promise<void>;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...s3ProviderEnv(bucket), ...extra };
}
const opts = (envExtra: Record<string, string>, s3: Record<string, unknown> = {}): UploadFileOptions => ({
  providers: ['s3'],
  env: env(envExtra),
  retry: FAST_RETRY,
  providerOptions: { s3 },
});

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

describe('s3 endpoint checks', () => {
  it.each([
    ['AWS_ENDPOINT_URL', 'notaurl', 'is not a URL'],
    ['AWS_ENDPOINT_URL', 'ftp://x', 'must be http(s)'],
    ['AWS_ENDPOINT_URL_S3', 'not a url', 'is not a URL'],
  ])('%s=%j: not ready, and the upload is CONFIG_INVALID naming it', async (name, value, problem) => {
    const s3 = await loadProvider('s3');
    const state = s3.status(env({ [name]: value }));
    expect(state.ready).toBe(false);
    expect(state.reason).toBe(`base URL ${JSON.stringify(value)} (option baseUrl or ${name}) ${problem}`);
    expect(state.help).toMatch(new RegExp(`^set ${name} \\(or the option baseUrl\\) to the http\\(s\\) URL`));

    const file = await randomFile(dir, 'a.txt', 100);
    const error = await ufsFailure(uploadFile(file.path, opts({ [name]: value })));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`base URL ${JSON.stringify(value)}`);
    expect(error.message).not.toMatch(/Invalid URL|not a valid URI/);
  });

  it('the option baseUrl: the same', async () => {
    const s3 = await loadProvider('s3');
    const state = s3.status(env(), { baseUrl: 'not a url' });
    expect(state).toMatchObject({ ready: false, reason: expect.stringContaining('base URL "not a url"') });
    const file = await randomFile(dir, 'b.txt', 100);
    const error = await ufsFailure(uploadFile(file.path, opts({}, { baseUrl: 'not a url' })));
    expect(error.code).toBe('CONFIG_INVALID');
    // A direct delete reads the settings too: refused the same way.
    const refused = await ufsFailure(
      s3.delete!({ url: 'https://x/y', deleteToken: `s3://${bucket}/b.txt` }, { env: env(), baseUrl: 'ftp://x' }),
    );
    expect(refused.code).toBe('CONFIG_INVALID');
  });

  it('a good endpoint (with a trailing slash too) still uploads to the real radosgw', async () => {
    const file = await randomFile(dir, 'good.txt', 1000);
    const result = await uploadFile(file.path, opts({ AWS_ENDPOINT_URL: `${radosgw().endpoint}/` }));
    expect(result.url.startsWith(`${radosgw().endpoint}/${bucket}/good.txt?`)).toBe(true);
    const s3 = await loadProvider('s3');
    expect(s3.status(env()).ready).toBe(true);
    const got = await download(result.url);
    expect(got.bytes.equals(file.bytes)).toBe(true);
  });
});
