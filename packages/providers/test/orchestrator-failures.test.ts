import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ufsFailure } from '@org/core/testing';
import {
  fileSource,
  loadProvider,
  uploadFile,
  uploadFiles,
  type UploadConfig,
  type UploadEvent,
  type UploadFileOptions,
} from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, randomFile, sparseFile, tempDir } from './helpers.js';

// What is left behind and what is said when an upload fails: the copy of a provider whose verification failed, the
// code of the overall error, the context of an abort, the reason a Retry-After ended retrying, bad options.
let catbox: Harness;
let x0: Harness;
let dir: string;
let cleanup: () => Promise<void>;
let env: Record<string, string>;

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({ env, retry: FAST_RETRY, ...extra });

beforeAll(async () => {
  [catbox, x0] = await Promise.all([HARNESSES.catbox!(), HARNESSES['0x0']!()]);
  env = { ...catbox.env, ...x0.env };
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all([catbox.stop(), x0.stop(), cleanup()]);
});
afterEach(() => [catbox, x0].forEach((h) => h.fake.reset()));

describe('a copy whose verification failed', () => {
  it('is deleted where the provider can, and its report entry keeps URL, token and the outcome', async () => {
    const file = await randomFile(dir, 'corrupt-0x0.bin');
    x0.fake.corruptDownloads();
    const events: UploadEvent[] = [];
    const result = await uploadFile(file.path, opts({ providers: ['0x0', 'catbox'], onEvent: (e) => events.push(e) }));
    expect(result.provider).toBe('catbox');
    const entry = result.report[0]!;
    expect(entry).toMatchObject({
      provider: '0x0',
      outcome: 'failed',
      code: 'INTEGRITY',
      url: expect.stringMatching(new RegExp(`^${x0.fake.url}/[0-9a-f]+\\.bin$`)),
      deleteToken: expect.stringMatching(/^tok/),
      deleted: true,
    });
    // The fake really removed it: its URL no longer serves anything.
    expect(x0.fake.files.size).toBe(0);
    expect((await fetch(entry.url!)).status).toBe(404);
    expect(events.find((e) => e.type === 'failure')).toMatchObject({ copy: { url: entry.url, deleted: true } });
  });

  it('is named (not deleted) where the provider cannot delete; the overall error keeps it in its failures', async () => {
    const file = await randomFile(dir, 'corrupt-catbox.bin');
    catbox.fake.corruptDownloads();
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'], maxAttempts: 1 })));
    expect(error.code).toBe('INTEGRITY');
    const [entry] = error.context.failures as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({ provider: 'catbox', url: expect.stringContaining(catbox.fake.url), deleted: false });
    expect(entry!.deleteToken).toBeUndefined();
    expect((await fetch(entry!.url as string)).status).toBe(200); // still there
  });
});

describe('the code of the overall error', () => {
  it('comes from the providers tried, not from those skipped (fragile: from the failure)', async () => {
    const file = await randomFile(dir, 'codes.bin');
    catbox.fake.fail(401);
    // pixeldrain has no key here: skipped (CONFIG_INVALID), then catbox's 401 stops the fragile upload.
    const fragile = await ufsFailure(
      uploadFile(file.path, opts({ providers: ['pixeldrain', 'catbox'], fragile: true })),
    );
    expect(fragile.code).toBe('PERMISSION_DENIED');
    expect(fragile.message).toContain('failed on catbox (fragile: no fallback)');
    // Without fragile: the skip (CONFIG_INVALID) does not count, the one provider tried decides.
    catbox.fake.fail(401);
    const tried = await ufsFailure(uploadFile(file.path, opts({ providers: ['pixeldrain', 'catbox'] })));
    expect(tried.code).toBe('PERMISSION_DENIED');
    expect(tried.message).toMatch(/all 2 providers failed/);
  });

  it('when none could be tried, says so with the common code of the skips', async () => {
    const big = await sparseFile(dir, 'huge.bin', 1_100_000_000);
    // Over catbox's, litterbox's and 0x0's limits: TOO_LARGE, though expiry was asked too.
    const tooLarge = await ufsFailure(uploadFile(big, opts({ providers: ['catbox', 'litterbox', '0x0'] })));
    expect(tooLarge.code).toBe('TOO_LARGE');
    expect(tooLarge.message).toMatch(
      /^\[ufs\] upload ".*huge\.bin": no provider can take this file:\n {2}- catbox: file is/,
    );
    const small = await randomFile(dir, 'expire.bin');
    const noExpiry = await ufsFailure(uploadFile(small.path, opts({ providers: ['catbox', 'tempsh'], expire: '24h' })));
    expect(noExpiry.code).toBe('UNSUPPORTED');
    expect(noExpiry.message).toContain('no provider can take this file');
    // Different reasons (tempsh cannot choose expiry, litterbox is too small): UNSUPPORTED.
    const mixed = await ufsFailure(uploadFile(big, opts({ providers: ['litterbox', 'tempsh'], expire: '24h' })));
    expect(mixed.code).toBe('UNSUPPORTED');
    expect(catbox.fake.uploads + x0.fake.uploads).toBe(0);
  });
});

describe('abort, Retry-After and options', () => {
  it('an abort names the file and where it stood', async () => {
    const file = await randomFile(dir, 'abort.bin');
    catbox.fake.stall(5_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'], signal: controller.signal })));
    expect(error.code).toBe('ABORTED');
    expect(error.message).toBe(`[ufs] upload "${file.path}": aborted during the upload to catbox`);
    expect(error.context).toMatchObject({ path: file.path, provider: 'catbox' });

    // In a batch too, for the files in flight and those that had not started.
    catbox.fake.stall(5_000);
    const batch = new AbortController();
    setTimeout(() => batch.abort(), 200);
    const other = await randomFile(dir, 'abort-2.bin');
    const items = await uploadFiles([file.path, other.path], {
      ...opts({ providers: ['catbox'], signal: batch.signal }),
      concurrency: 1,
    });
    expect(items.map((i) => (i.ok ? 'ok' : i.error.message))).toEqual([
      `[ufs] upload "${file.path}": aborted during the upload to catbox`,
      `[ufs] upload "${other.path}": aborted before it started`,
    ]);
  });

  it('a Retry-After over the limit ends retrying with the reason in the message', async () => {
    const file = await randomFile(dir, 'retry-after.bin');
    catbox.fake.fail(503, { retryAfter: '3600' });
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'] })));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('(the server asked to retry after 3600 s, more than the 60 s limit)');
    expect(catbox.fake.uploads).toBe(1);
  });

  it('concurrency and maxAttempts must be whole numbers ≥ 1 (INVALID_INPUT naming the option)', async () => {
    const file = await randomFile(dir, 'options.bin');
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      const error = await ufsFailure(uploadFiles([file.path], { ...opts({ providers: ['catbox'] }), concurrency }));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('option concurrency') });
    }
    for (const maxAttempts of [0, 2.5]) {
      const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'], maxAttempts })));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('option maxAttempts') });
    }
    expect(catbox.fake.uploads).toBe(0);
  });

  it('options and the config file have the same bounds and say the same of a value out of them', async () => {
    const NODE_TIMER = 'the longest timer Node.js can set, about 24.8 days';
    const file = await randomFile(dir, 'bounds.bin');
    const cases: Array<[keyof UploadConfig, number, string]> = [
      ['maxAttempts', 21, 'maxAttempts must be a whole number from 1 to 20, got 21'],
      ['concurrency', 65, 'concurrency must be a whole number from 1 to 64, got 65'],
      ['concurrency', Infinity, 'concurrency must be a whole number from 1 to 64, got Infinity'],
      ['timeoutMs', 0, 'timeoutMs must be a whole number from 1 to 2147483647, got 0'],
      ['idleTimeoutMs', -1, 'idleTimeoutMs must be a whole number from 0 to 2147483647, got -1'],
      // Node's timers cannot wait longer than 2^31 - 1 ms: a larger timeout would fire at once, so it is refused.
      ['timeoutMs', 2 ** 31, `timeoutMs must be a whole number from 1 to 2147483647 (${NODE_TIMER}), got 2147483648`],
      [
        'idleTimeoutMs',
        2 ** 31,
        `idleTimeoutMs must be a whole number from 0 to 2147483647 (${NODE_TIMER}), got 2147483648`,
      ],
      // Not a safe integer: refused by the same words either way (zod's own check used to word it differently).
      [
        'timeoutMs',
        1e20,
        `timeoutMs must be a whole number from 1 to 2147483647 (${NODE_TIMER}), got 100000000000000000000`,
      ],
      [
        'idleTimeoutMs',
        1e20,
        `idleTimeoutMs must be a whole number from 0 to 2147483647 (${NODE_TIMER}), got 100000000000000000000`,
      ],
      ['maxAttempts', 1e20, 'maxAttempts must be a whole number from 1 to 20, got 100000000000000000000'],
    ];
    for (const [name, value, problem] of cases) {
      const fromOptions = await ufsFailure(
        uploadFiles([file.path], { ...opts({ providers: ['catbox'] }), [name]: value }),
      );
      const fromConfig = await ufsFailure(
        uploadFiles([file.path], opts({ providers: ['catbox'], config: { [name]: value } })),
      );
      expect([fromOptions.code, fromOptions.message]).toEqual(['INVALID_INPUT', `[ufs] option ${problem}`]);
      // The config's message has the same words, after where the value was (`config:`) and the key.
      expect([fromConfig.code, fromConfig.message]).toEqual([
        'CONFIG_INVALID',
        `[ufs] config: ${problem.replace(' ', ': ')}`,
      ]);
    }
    expect(catbox.fake.uploads).toBe(0);
    // The bounds themselves are allowed either way (the missing file fails on its own, nothing is thrown).
    const missing = join(dir, 'missing.bin');
    for (const [name, value] of [
      ['maxAttempts', 20],
      ['concurrency', 64],
      ['timeoutMs', 2 ** 31 - 1],
      ['idleTimeoutMs', 2 ** 31 - 1],
    ] as const) {
      const viaOptions = await uploadFiles([missing], { ...opts({ providers: ['catbox'] }), [name]: value });
      const viaConfig = await uploadFiles([missing], opts({ providers: ['catbox'], config: { [name]: value } }));
      expect([viaOptions[0]!.ok, viaConfig[0]!.ok]).toEqual([false, false]);
    }
  });
});

describe('small refusals and wording', () => {
  it('an empty filename is INVALID_INPUT before any request (not `PUT /`)', async () => {
    const file = await randomFile(dir, 'named.bin');
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'], filename: '' })));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/filename\) is empty/);
    expect(catbox.fake.uploads).toBe(0);
    // A provider called directly refuses a source without a name too.
    const provider = await loadProvider('0x0');
    const direct = await ufsFailure(
      provider.upload({ ...(await fileSource(file.path)), filename: '' }, { env: x0.env }),
    );
    expect([direct.code, direct.message]).toEqual([
      'INVALID_INPUT',
      "[ufs] [0x0] upload: the source's filename is empty",
    ]);
    expect(x0.fake.uploads).toBe(0);
  });

  it('one provider tried: "the provider failed"; several: "all 3 providers failed"', async () => {
    const file = await randomFile(dir, 'wording.bin');
    catbox.fake.fail(401);
    const one = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox'] })));
    expect(one.message).toContain(`[ufs] upload "${file.path}": the provider failed:\n  - catbox: `);
    catbox.fake.fail(401);
    x0.fake.fail(401);
    const three = await ufsFailure(uploadFile(file.path, opts({ providers: ['pixeldrain', 'catbox', '0x0'] })));
    expect(three.message).toContain('all 3 providers failed:\n  - pixeldrain (skipped): ');
  });
});
