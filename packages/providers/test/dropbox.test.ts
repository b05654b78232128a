import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { isUfsError, type UfsError } from '@org/core';
import { loadProvider, uploadFile, uploadFiles, type UploadFileOptions } from '../src/index.js';
import { directDownload } from '../src/sdk/dropbox.js';
import { contentHashOf } from '../src/sdk/dropbox-content-hash.js';
import type { FakeService } from './fakes/base.js';
import { dropboxFake, loseAnswers, routeError, sessionCalls } from './fakes/dropbox.js';
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

  it('uploads in a batch given an abort signal (a signal with many listeners allowed, as `ufs upload` passes)', async () => {
    const file = await randomFile(dir, 'batch.txt', 1000);
    const controller = new AbortController();
    const [item] = await uploadFiles([file.path], { ...opts(), signal: controller.signal });
    expect(item!.ok ? 'ok' : item!.error.message).toBe('ok');
    expect(item!.ok && item!.result.verified).toBe(true);
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
    const changed = await randomFile(dir, 'clash.txt', 4000);
    const error = await uploadFile(changed.path, opts()).catch((e: unknown) => e);
    expect(isUfsError(error, 'ALREADY_EXISTS')).toBe(true);
    expect((error as UfsError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/path\/conflict\/file.*force.*unique/);

    const other = await randomFile(dir, 'clash.txt', 5000);
    const forced = await uploadFile(other.path, opts({ force: true }));
    expect(forced.deleteToken).toBe('/ufs/clash.txt');
    // The existing shared link is reused (create answers shared_link_already_exists → list_shared_links).
    expect(fake.requests.some((r) => r.path === '/2/sharing/list_shared_links')).toBe(true);
    expect((await download(forced.url)).bytes.equals(other.bytes)).toBe(true);

    const unique = await uploadFile(file.path, opts({ unique: true }));
    expect(unique.deleteToken).toMatch(/^\/ufs\/clash-[0-9a-f]{8}\.txt$/);
  });

  it('the same bytes already at the path (same content_hash) are a success, not a clash', async () => {
    const file = await randomFile(dir, 'again.txt', 6000);
    const first = await uploadFile(file.path, opts());
    const second = await uploadFile(file.path, opts());
    expect(second).toMatchObject({ url: first.url, deleteToken: '/ufs/again.txt', verified: true });
    expect(fake.requests.filter((r) => r.path === '/2/files/get_metadata')).toHaveLength(1);
  });

  it('a retry after a lost answer finds its own upload (path/conflict, same content_hash) and succeeds', async () => {
    const small = await randomFile(dir, 'lost.bin', 20_000);
    loseAnswers(fake);
    const events: string[] = [];
    const result = await uploadFile(small.path, opts({}, { onEvent: (e) => events.push(e.type) }));
    expect(events.filter((e) => e === 'retry')).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === '/2/files/upload')).toHaveLength(2);
    expect(result).toMatchObject({ deleteToken: '/ufs/lost.bin', verified: true });
    expect((await download(result.url)).bytes.equals(small.bytes)).toBe(true);

    // Over 4 MiB (several content_hash blocks), through an upload session: the lost answer is finish's.
    const large = await randomFile(dir, 'lost-large.bin', 9 * 1024 * 1024 + 123);
    loseAnswers(fake);
    const before = sessionCalls(fake).length;
    const session = await uploadFile(
      large.path,
      opts({ sessionThreshold: 4 * 1024 * 1024, chunkSize: 4 * 1024 * 1024 }),
    );
    expect(sessionCalls(fake).slice(before)).toEqual(['start', 'append', 'finish', 'start', 'append', 'finish']);
    expect(session.verified).toBe(true);
  });

  it('route errors (409) are mapped by error_summary, which the message keeps', async () => {
    const file = await randomFile(dir, 'route.txt');
    const cases: Array<[string, string, boolean]> = [
      ['path/malformed_path', 'INVALID_INPUT', false],
      ['path/too_many_write_operations', 'RATE_LIMITED', true],
    ];
    for (const [summary, code, retryable] of cases) {
      routeError(fake, summary, 3);
      const error = (await uploadFile(file.path, opts()).catch((e: unknown) => e)) as UfsError;
      expect(error).toMatchObject({ code, retryable });
      expect(error.message).toContain(`HTTP 409: ${summary}/`);
      fake.reset();
    }
    // too_many_write_operations is retried: once, then the upload goes through.
    routeError(fake, 'path/too_many_write_operations');
    expect((await uploadFile(file.path, opts())).verified).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/2/files/upload')).toHaveLength(2);

    const disallowed = await randomFile(dir, 'desktop.ini');
    const refused = (await uploadFile(disallowed.path, opts()).catch((e: unknown) => e)) as UfsError;
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(refused.message).toContain('path/disallowed_name/');
    expect(fake.requests.filter((r) => r.path === '/2/files/upload')).toHaveLength(3);

    const provider = await loadProvider('dropbox');
    const gone = await provider.delete!({ url: 'x', deleteToken: '/ufs/never-uploaded.txt' }, { env: env() }).catch(
      (e: unknown) => e,
    );
    expect(gone).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('not_found/') });
  });

  it('a full account is TOO_LARGE (path/insufficient_space), not retried', async () => {
    const full = await dropboxFake({ accessToken: TOKEN, quotaBytes: 10_000 }).start();
    try {
      const file = await randomFile(dir, 'roomy.bin', 12_000);
      const error = (await uploadFile(
        file.path,
        opts({}, { env: { UFS_DROPBOX_URL: full.url, DROPBOX_ACCESS_TOKEN: TOKEN } }),
      ).catch((e: unknown) => e)) as UfsError;
      expect(error).toMatchObject({ code: 'TOO_LARGE', retryable: false });
      expect(error.message).toContain('path/insufficient_space/');
      expect(full.requests.filter((r) => r.path === '/2/files/upload')).toHaveLength(1);
    } finally {
      await full.stop();
    }
  });

  it("computes Dropbox's content_hash chunk by chunk, across 4 MiB blocks", async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 7);
    const blocks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 4 * 1024 * 1024)
      blocks.push(
        createHash('sha256')
          .update(bytes.subarray(at, at + 4 * 1024 * 1024))
          .digest(),
      );
    const expected = createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
    async function* odd() {
      for (let at = 0; at < bytes.length; at += 1_000_003) yield bytes.subarray(at, at + 1_000_003);
    }
    expect(await contentHashOf(odd())).toBe(expected);
    expect(await contentHashOf((async function* () {})())).toBe(createHash('sha256').digest('hex'));
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
