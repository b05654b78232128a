import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { checkOnline, listProviders, providerStatus, providerStatuses } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, download } from './helpers.js';

let x0: Harness;
let sendit: Harness;
beforeAll(async () => {
  [x0, sendit] = await Promise.all([HARNESSES['0x0']!(), HARNESSES.sendit!()]);
});
afterAll(async () => {
  await Promise.all([x0.stop(), sendit.stop()]);
});
afterEach(() => x0.fake.reset());

describe('providerStatus', () => {
  it('no-auth providers are ready with an empty environment; keyed ones say what is missing and how to fix it', async () => {
    expect(await providerStatus('catbox', {})).toMatchObject({ id: 'catbox', ready: true });
    const pixeldrain = await providerStatus('pixeldrain', {});
    expect(pixeldrain).toMatchObject({
      ready: false,
      reason: expect.stringContaining('PIXELDRAIN_API_KEY'),
      help: expect.stringContaining('export PIXELDRAIN_API_KEY'),
    });
    expect((await providerStatus('pixeldrain', { PIXELDRAIN_API_KEY: 'k' })).ready).toBe(true);
    expect(await providerStatus('fal', {})).toMatchObject({ ready: false, reason: 'FAL_KEY is not set' });
    expect((await providerStatus('fal', {}, { apiKey: 'k' })).ready).toBe(true);
  });

  it('a base URL the upload would refuse makes the provider not ready, with the same reason', async () => {
    for (const value of ['notaurl', 'ftp://x']) {
      const status = await providerStatus('tempsh', { UFS_TEMPSH_URL: value });
      expect(status).toMatchObject({
        ready: false,
        reason: expect.stringMatching(
          /^base URL .* \(option baseUrl or UFS_TEMPSH_URL\) (is not a URL|must be http\(s\))$/,
        ),
        help: expect.stringContaining('https://temp.sh'),
      });
      expect(status.reason).toContain(JSON.stringify(value));
    }
    expect(await providerStatus('0x0', {}, { baseUrl: 'notaurl' })).toMatchObject({ ready: false });
    expect((await providerStatus('ufs', { UFS_SERVER: 'ftp://x', UFS_API_KEY: 'k' })).ready).toBe(false);
    expect((await providerStatus('tempsh', { UFS_TEMPSH_URL: 'http://127.0.0.1:1' })).ready).toBe(true);
    // The upload says the same.
    const upload = await checkOnline('tempsh', { env: { UFS_TEMPSH_URL: 'notaurl' } });
    expect(upload.error?.message).toContain('base URL "notaurl" (option baseUrl or UFS_TEMPSH_URL) is not a URL');
  });

  it("an unknown id is the caller's mistake, INVALID_INPUT listing the known ones", async () => {
    await expect(providerStatus('imgur', {})).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('unknown provider "imgur" in providers; known providers: catbox'),
    });
    await expect(checkOnline('nope', { env: x0.env })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('unknown provider "nope" in providers; known providers: catbox'),
    });
  });

  it('providerStatuses covers every provider, in registry order', async () => {
    const all = await providerStatuses({});
    expect(all.map((s) => s.id)).toEqual((await listProviders()).map((i) => i.id));
    expect(all.filter((s) => !s.ready).map((s) => s.id)).toEqual([
      'pixeldrain',
      'fal',
      's3',
      'dropbox',
      'mount',
      'ufs',
    ]);
  });

  it('providerStatuses counts provider options (as uploadFile takes them, e.g. from a config file)', async () => {
    const all = await providerStatuses({}, { pixeldrain: { apiKey: 'k' }, s3: { bucket: 'b' }, fal: { apiKey: 'f' } });
    expect(all.filter((s) => !s.ready).map((s) => s.id)).toEqual(['dropbox', 'mount', 'ufs']);
  });
});

describe('checkOnline', () => {
  it('uploads a small file, verifies it, and deletes it where the service allows', async () => {
    const check = await checkOnline('0x0', { env: x0.env, retry: FAST_RETRY });
    expect(check).toMatchObject({ id: '0x0', ok: true, deleted: true });
    expect(check.result!.verified).toBe(true);
    expect((await download(check.result!.url)).status).toBe(404);
  });

  it('the delete of the test upload has the idle timeout of the check (option or config), not the 60 s default', async () => {
    x0.fake.answerDeletes(() => undefined); // the delete request is read, and never answered
    // The signal is a safety net: without the check's idle timeout the delete would wait 60 s, and end ABORTED.
    const base = { env: x0.env, retry: FAST_RETRY, maxAttempts: 1, signal: AbortSignal.timeout(20_000) };
    for (const options of [
      { ...base, idleTimeoutMs: 300 },
      { ...base, config: { idleTimeoutMs: 300 } },
    ]) {
      const started = Date.now();
      const check = await checkOnline('0x0', options);
      expect(check).toMatchObject({ ok: true, deleted: false, deleteError: { code: 'TIMEOUT' } });
      expect(check.deleteError!.message).toContain('no answer within 0.3 s of sending the request');
      expect(Date.now() - started).toBeLessThan(8_000);
    }
  });

  it('single-download services are checked without consuming the link', async () => {
    const check = await checkOnline('sendit', { env: sendit.env });
    expect(check.ok).toBe(true);
    expect(check.result!.verifySkipped).toMatch(/once/);
    expect(check.deleted).toBeUndefined();
  });

  it('reports the failure instead of throwing', async () => {
    x0.fake.fail(500, { times: 5 });
    const check = await checkOnline('0x0', { env: x0.env, retry: FAST_RETRY, maxAttempts: 2 });
    expect(check.ok).toBe(false);
    expect(check.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('HTTP 500') });
    x0.fake.reset();
  });
});
