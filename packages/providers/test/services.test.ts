import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isUfsError } from '@org/core';
import { loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { retentionMs } from '../src/providers/0x0.js';
import { directLink } from '../src/providers/tmpfiles.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// Service-specific behaviour beyond the shared contract: expiry fields, delete, answers particular to one service.
let dir: string;
let cleanup: () => Promise<void>;
const running: Harness[] = [];

async function start(id: string): Promise<Harness> {
  const h = await HARNESSES[id]!();
  running.push(h);
  return h;
}

function opts(h: Harness, extra: UploadFileOptions = {}): UploadFileOptions {
  return { providers: [h.id], env: h.env, retry: FAST_RETRY, ...extra };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all(running.map((h) => h.stop()));
  await cleanup();
});

describe('litterbox', () => {
  it('sends the chosen time (an equal duration such as 1d maps to 24h) and reports the expiry', async () => {
    const h = await start('litterbox');
    const file = await randomFile(dir, 'lit.txt');
    const before = Date.now();
    const result = await uploadFile(file.path, opts(h, { expire: '1d' }));
    expect(h.fake.lastFields.time).toBe('24h');
    expect(result.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 24 * 3_600_000);
    expect(result.expiresAt!.getTime()).toBeLessThan(Date.now() + 24 * 3_600_000 + 1000);
  });

  it('refuses an expiry it does not offer, listing the choices, without a request', async () => {
    const h = await start('litterbox');
    const file = await randomFile(dir, 'lit5.txt');
    const error = await uploadFile(file.path, opts(h, { expire: '5h' })).catch((e: unknown) => e);
    expect(isUfsError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('1h, 12h, 24h, 72h');
    expect(h.fake.uploads).toBe(0);
  });
});

describe('0x0', () => {
  it('sends expires in hours, keeps the X-Token, and deletes with it', async () => {
    const h = await start('0x0');
    const file = await randomFile(dir, 'null.bin');
    const result = await uploadFile(file.path, opts(h, { expire: '2d' }));
    expect(h.fake.lastFields.expires).toBe('48');
    expect(result.deleteToken).toMatch(/^tok/);
    expect(result.expiresAt!.getTime() - Date.now()).toBeGreaterThan(47 * 3_600_000);
    const provider = await loadProvider('0x0');
    await provider.delete!(result, { env: h.env });
    expect((await download(result.url)).status).toBe(404);
  });

  it('without expire, the expiry follows the published size formula (1 year small, 30 days at the limit)', () => {
    expect(retentionMs(0)).toBe(365 * 86_400_000);
    expect(retentionMs(512 * 1024 * 1024)).toBe(30 * 86_400_000);
  });

  it('a wrong token does not delete', async () => {
    const h = await start('0x0');
    const file = await randomFile(dir, 'keep.bin');
    const result = await uploadFile(file.path, opts(h));
    const provider = await loadProvider('0x0');
    const error = await provider.delete!({ ...result, deleteToken: 'wrong' }, { env: h.env }).catch((e: unknown) => e);
    expect(isUfsError(error, 'PERMISSION_DENIED')).toBe(true);
    expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
  });
});

describe('tmpfiles', () => {
  it('returns the direct /dl/ link, not the HTML page', async () => {
    expect(directLink('https://tmpfiles.org/123/a.txt')).toBe('https://tmpfiles.org/dl/123/a.txt');
    const h = await start('tmpfiles');
    const file = await randomFile(dir, 'page.bin');
    const result = await uploadFile(file.path, opts(h));
    expect(new URL(result.url).pathname).toMatch(/^\/dl\//);
  });
});

describe('uguu', () => {
  it('415 for a refused type is permanent', async () => {
    const h = await start('uguu');
    const file = await randomFile(dir, 'archive.zip');
    const error = await uploadFile(file.path, opts(h)).catch((e: unknown) => e);
    expect(isUfsError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('415');
    expect(h.fake.uploads).toBe(1);
  });
});

describe('pixeldrain', () => {
  it('without an API key it is skipped as not ready, with help', async () => {
    const h = await start('pixeldrain');
    const file = await randomFile(dir, 'anon.bin');
    const error = await uploadFile(file.path, opts(h, { env: { UFS_PIXELDRAIN_URL: h.fake.url } })).catch(
      (e: unknown) => e,
    );
    expect(isUfsError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/PIXELDRAIN_API_KEY is not set.*api_keys/);
    expect(h.fake.uploads).toBe(0);
  });

  it('a wrong key is refused with 401 → PERMISSION_DENIED; the apiKey option works like the env variable', async () => {
    const h = await start('pixeldrain');
    const file = await randomFile(dir, 'key.bin');
    const env = { UFS_PIXELDRAIN_URL: h.fake.url };
    const error = await uploadFile(
      file.path,
      opts(h, { env, providerOptions: { pixeldrain: { apiKey: 'wrong' } } }),
    ).catch((e: unknown) => e);
    expect(isUfsError(error, 'PERMISSION_DENIED')).toBe(true);
    const ok = await uploadFile(
      file.path,
      opts(h, { env, providerOptions: { pixeldrain: { apiKey: h.env.PIXELDRAIN_API_KEY } } }),
    );
    expect(ok.verified).toBe(true);
  });
});

describe('fal', () => {
  it('initiates with the key and content type, PUTs with the same type, returns file_url', async () => {
    const h = await start('fal');
    const file = await randomFile(dir, 'photo.png');
    const result = await uploadFile(file.path, opts(h));
    expect(result.url).toContain('/files/');
    const initiate = h.fake.requests.find((r) => r.path.startsWith('/storage/upload/initiate'))!;
    expect(initiate.path).toBe('/storage/upload/initiate?storage_type=fal-cdn-v3');
    const put = h.fake.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['content-type']).toBe('image/png');
  });

  it('a wrong FAL_KEY is PERMISSION_DENIED', async () => {
    const h = await start('fal');
    const file = await randomFile(dir, 'nokey.bin');
    const error = await uploadFile(file.path, opts(h, { env: { ...h.env, FAL_KEY: 'nope' } })).catch((e: unknown) => e);
    expect(isUfsError(error, 'PERMISSION_DENIED')).toBe(true);
  });
});

describe('filebin', () => {
  it('uses a fresh bin per upload, follows the redirect, and deletes the bin', async () => {
    const h = await start('filebin');
    const file = await randomFile(dir, 'bin file.txt');
    const a = await uploadFile(file.path, opts(h));
    const b = await uploadFile(file.path, opts(h));
    expect(a.deleteToken).not.toBe(b.deleteToken);
    expect(a.url).toContain('/bin%20file.txt');
    expect(a.verified).toBe(true); // the download went through the 302
    const provider = await loadProvider('filebin');
    await provider.delete!(a, { env: h.env });
    expect((await download(a.url)).status).toBe(404);
    expect((await download(b.url)).status).toBe(200);
  });
});

describe('catbox', () => {
  it('sends userhash when CATBOX_USERHASH is set', async () => {
    const h = await start('catbox');
    const file = await randomFile(dir, 'account.bin');
    const result = await uploadFile(file.path, opts(h, { env: { ...h.env, CATBOX_USERHASH: 'abc123' } }));
    expect(result.verified).toBe(true);
    expect(h.fake.lastFields).toEqual({ reqtype: 'fileupload', userhash: 'abc123' });
  });
});
