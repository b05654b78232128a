import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isUfsError } from '@org/core';
import { loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { directDownload } from '../src/sdk/dropbox.js';
import type { FakeService } from './fakes/base.js';
import { dropboxFake, sessionCalls } from './fakes/dropbox.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The Dropbox provider through the real `dropbox` SDK, its fetch pointed at a local server that follows API v2
// for the calls used (see test/fakes/dropbox.ts and the README for what it does not cover).
const TOKEN = 'sl.test-token';
let fake: FakeService;
let dir: string;
let cleanup: () => Promise<void>;

const env = () => ({ UFS_DROPBOX_URL: fake.url, DROPBOX_ACCESS_TOKEN: TOKEN });
const opts = (dropbox: Record<string, unknown> = {}, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['dropbox'],
  env: env(),
  retry: FAST_RETRY,
  providerOptions: { dropbox },
  ...extra,
});

beforeAll(async () => {
  fake = await dropboxFake({ accessToken: TOKEN, refreshToken: 'refresh-me', appKey: 'app-key' }).start();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await fake.stop();
  await cleanup();
});
afterEach(() => fake.reset());

describe('dropbox', () => {
  it('turns a shared link into a direct download (dl=1)', () => {
    expect(directDownload('https://www.dropbox.com/scl/fi/abc/a.txt?rlkey=x&dl=0')).toBe(
      'https://www.dropbox.com/scl/fi/abc/a.txt?rlkey=x&dl=1',
    );
    expect(directDownload('https://www.dropbox.com/s/abc/a.txt')).toBe('https://www.dropbox.com/s/abc/a.txt?dl=1');
  });

  it('uploads a small file with files/upload into uploadPath and returns a dl=1 link that serves it', async () => {
    const file = await randomFile(dir, 'small.txt', 3000);
    const result = await uploadFile(file.path, opts({ uploadPath: '/shared/in' }));
    expect(result.deleteToken).toBe('/shared/in/small.txt');
    expect(new URL(result.url).searchParams.get('dl')).toBe('1');
    expect(result.verified).toBe(true);
    expect(fake.requests.map((r) => r.path)).toContain('/2/files/upload');
    expect(sessionCalls(fake)).toHaveLength(0);
  });

  it('uploads a large file through an upload session: start, append…, finish, in chunks', async () => {
    const file = await randomFile(dir, 'large.bin', 2_500_000);
    const before = sessionCalls(fake).length;
    const result = await uploadFile(file.path, opts({ sessionThreshold: 1_000_000, chunkSize: 1_000_000 }));
    expect(sessionCalls(fake).slice(before)).toEqual(['start', 'append', 'finish']);
    expect(result.verified).toBe(true);
    expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
  });

  it('a session whose size is an exact multiple of the chunk size has no empty append', async () => {
    const file = await randomFile(dir, 'exact.bin', 2_000_000);
    const before = sessionCalls(fake).length;
    const result = await uploadFile(file.path, opts({ sessionThreshold: 500_000, chunkSize: 1_000_000 }));
    expect(sessionCalls(fake).slice(before)).toEqual(['start', 'finish']);
    expect(result.verified).toBe(true);
  });

  it('a name clash fails with ALREADY_EXISTS unless force (overwrite) or unique (new name)', async () => {
    const file = await randomFile(dir, 'clash.txt');
    await uploadFile(file.path, opts());
    const error = await uploadFile(file.path, opts()).catch((e: unknown) => e);
    expect(isUfsError(error, 'ALREADY_EXISTS')).toBe(true);
    expect((error as Error).message).toMatch(/force.*unique/);

    const other = await randomFile(dir, 'clash.txt', 5000);
    const forced = await uploadFile(other.path, opts({ force: true }));
    expect(forced.deleteToken).toBe('/ufs/clash.txt');
    // The existing shared link is reused (create answers shared_link_already_exists → list_shared_links).
    expect(fake.requests.some((r) => r.path === '/2/sharing/list_shared_links')).toBe(true);
    expect((await download(forced.url)).bytes.equals(other.bytes)).toBe(true);

    const unique = await uploadFile(file.path, opts({ unique: true }));
    expect(unique.deleteToken).toMatch(/^\/ufs\/clash-[0-9a-f]{8}\.txt$/);
  });

  it('gets an access token from a refresh token + app key', async () => {
    const file = await randomFile(dir, 'refresh.txt');
    const result = await uploadFile(
      file.path,
      opts({}, { env: { UFS_DROPBOX_URL: fake.url, DROPBOX_REFRESH_TOKEN: 'refresh-me', DROPBOX_APP_KEY: 'app-key' } }),
    );
    expect(result.verified).toBe(true);
    expect(fake.requests.some((r) => r.path.startsWith('/oauth2/token?grant_type=refresh_token'))).toBe(true);
  });

  it('a bad token is PERMISSION_DENIED, not retried', async () => {
    const file = await randomFile(dir, 'denied.txt');
    const error = await uploadFile(
      file.path,
      opts({}, { env: { UFS_DROPBOX_URL: fake.url, DROPBOX_ACCESS_TOKEN: 'bad' } }),
    ).catch((e: unknown) => e);
    expect(isUfsError(error, 'PERMISSION_DENIED')).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/2/files/upload')).toHaveLength(1);
  });

  it('deletes the uploaded file', async () => {
    const file = await randomFile(dir, 'gone.txt');
    const result = await uploadFile(file.path, opts());
    const provider = await loadProvider('dropbox');
    await provider.delete!(result, { env: env() });
    expect((await download(result.url)).status).toBe(404);
  });

  it('status explains what is missing', async () => {
    const provider = await loadProvider('dropbox');
    expect(provider.status({})).toMatchObject({
      ready: false,
      reason: expect.stringContaining('DROPBOX_ACCESS_TOKEN'),
    });
    expect(provider.status({ DROPBOX_REFRESH_TOKEN: 'r', DROPBOX_APP_KEY: 'k' }).ready).toBe(true);
    expect(provider.status({ DROPBOX_ACCESS_TOKEN: 't' }, { chunkSize: 0 })).toMatchObject({
      ready: false,
      reason: expect.stringContaining('chunkSize'),
    });
  });
});
