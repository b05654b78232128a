import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ufsFailure } from '@org/core/testing';
import {
  DEFAULT_PROVIDERS,
  resolveUploadSettings,
  uploadFile,
  uploadFiles,
  type UploadEvent,
  type UploadFileOptions,
} from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, download, randomFile, sparseFile, tempDir } from './helpers.js';

// The orchestrator with real HTTP servers: order and precedence, retry, fallback, fragile, verification, skips,
// the all-failed error and the batch form.
let catbox: Harness;
let x0: Harness;
let litter: Harness;
let dir: string;
let cleanup: () => Promise<void>;
let env: Record<string, string>;

const execFileAsync = promisify(execFile);
const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({ env, retry: FAST_RETRY, ...extra });

beforeAll(async () => {
  [catbox, x0, litter] = await Promise.all([HARNESSES.catbox!(), HARNESSES['0x0']!(), HARNESSES.litterbox!()]);
  env = { ...catbox.env, ...x0.env, ...litter.env };
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all([catbox.stop(), x0.stop(), litter.stop(), cleanup()]);
});
afterEach(() => [catbox, x0, litter].forEach((h) => h.fake.reset()));

describe('provider order and precedence', () => {
  it('options > UFS_PROVIDERS > config file > defaults', async () => {
    const config = join(dir, 'ufs.yaml');
    await writeFile(config, 'providers: [litterbox, catbox]\nexpire: 12h\n');
    const base = { env: { UFS_PROVIDERS: '0x0, catbox' }, configFile: config };
    expect(await resolveUploadSettings({ ...base, providers: 'x0at' })).toMatchObject({
      providers: ['x0at'],
      providersFrom: 'options',
    });
    expect(await resolveUploadSettings(base)).toMatchObject({
      providers: ['0x0', 'catbox'],
      providersFrom: 'env UFS_PROVIDERS',
      expire: '12h',
    });
    expect(await resolveUploadSettings({ configFile: config, env: {} })).toMatchObject({
      providers: ['litterbox', 'catbox'],
      providersFrom: 'config',
    });
    expect(await resolveUploadSettings({ env: {} })).toMatchObject({
      providers: [...DEFAULT_PROVIDERS],
      providersFrom: 'defaults',
      verify: true,
      fragile: false,
    });
  });

  it('UFS_CONFIG names the config file (JSON here)', async () => {
    const config = join(dir, 'ufs.json');
    await writeFile(
      config,
      JSON.stringify({ providers: 'tempsh,filebin', verify: false, fragile: true, maxAttempts: 5 }),
    );
    const settings = await resolveUploadSettings({ env: { UFS_CONFIG: config } });
    expect(settings).toMatchObject({
      providers: ['tempsh', 'filebin'],
      verify: false,
      fragile: true,
      retry: { maxAttempts: 5 },
    });
  });

  it("UFS_CONFIG may name a full ufs config (the CLI's): its upload section is read, its other sections ignored", async () => {
    const config = join(dir, 'cli-config.yaml');
    await writeFile(
      config,
      [
        'mounts:',
        '  photos: { protocol: local, root: ~/Pictures }',
        'upload:',
        '  providers: [0x0, litterbox]',
        '  expire: 24h',
        '  providerOptions:',
        '    0x0: { secret: true }', // unquoted: a name, not the number 0
        'maxAttempts: 4',
        'server: { url: "http://127.0.0.1:8000", apiKey: k }',
        'scan: { exclude: ["*.tmp"] }',
        'serve: { port: 8000 }',
        '',
      ].join('\n'),
    );
    const settings = await resolveUploadSettings({ env: { UFS_CONFIG: config } });
    expect(settings).toMatchObject({
      providers: ['0x0', 'litterbox'],
      providersFrom: 'config',
      expire: '24h',
      retry: { maxAttempts: 4 },
      providerOptions: { '0x0': { secret: true } },
    });
    const file = await randomFile(dir, 'cli-config.bin');
    const result = await uploadFile(file.path, { env: { ...env, UFS_CONFIG: config }, retry: FAST_RETRY });
    expect(result).toMatchObject({ provider: '0x0', verified: true });

    // Unknown keys are still refused, inside the upload section and at the top level.
    const typo = join(dir, 'cli-typo.yaml');
    await writeFile(typo, 'mounts: {}\nupload:\n  providers: [catbox]\n  verfy: false\n');
    const inUpload = await ufsFailure(resolveUploadSettings({ env: { UFS_CONFIG: typo } }));
    expect(inUpload).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/upload: .*"verfy"/) });
    await writeFile(typo, 'upload:\n  providers: [catbox]\nuplaod: {}\n');
    const atTop = await ufsFailure(resolveUploadSettings({ env: { UFS_CONFIG: typo } }));
    expect(atTop).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('uplaod') });
  });

  it('a malformed expire is refused once, before any provider: INVALID_INPUT, or CONFIG_INVALID from the config', async () => {
    const fromOptions = await ufsFailure(
      resolveUploadSettings({ providers: 'litterbox,catbox', expire: '1x', env: {} }),
    );
    expect(fromOptions.code).toBe('INVALID_INPUT');
    expect(fromOptions.message).toBe('[ufs] expire "1x" is not a duration like 30m, 1h, 72h, 7d or 2w');
    const config = join(dir, 'bad-expire.yaml');
    await writeFile(config, 'expire: -3h\n');
    const fromConfig = await ufsFailure(resolveUploadSettings({ configFile: config, env: {} }));
    expect(fromConfig.code).toBe('CONFIG_INVALID');
    expect(fromConfig.message).toContain('"-3h" is not a duration');
    expect(fromConfig.message).toContain('(expire in the upload config)');
    // A good value in the options wins over a bad one in the config.
    expect(await resolveUploadSettings({ configFile: config, expire: '1d', env: {} })).toMatchObject({ expire: '1d' });
  });

  it('unknown ids are refused listing the known ones: INVALID_INPUT from the options, CONFIG_INVALID from config', async () => {
    const fromOptions = await ufsFailure(resolveUploadSettings({ providers: ['catbox', 'dropbx'], env: {} }));
    expect(fromOptions.code).toBe('INVALID_INPUT');
    expect(fromOptions.message).toMatch(
      /unknown provider "dropbx" in options; known providers: catbox, litterbox, 0x0/,
    );
    const fromEnv = await ufsFailure(resolveUploadSettings({ env: { UFS_PROVIDERS: 'nope' } }));
    expect([fromEnv.code, fromEnv.message]).toEqual([
      'CONFIG_INVALID',
      expect.stringContaining('in env UFS_PROVIDERS'),
    ]);
    const fromConfig = await ufsFailure(resolveUploadSettings({ env: {}, config: { providers: ['nope'] } }));
    expect([fromConfig.code, fromConfig.message]).toEqual(['CONFIG_INVALID', expect.stringContaining('in config')]);
    const fromProviderOptions = await ufsFailure(resolveUploadSettings({ env: {}, providerOptions: { s4: {} } }));
    expect(fromProviderOptions.code).toBe('INVALID_INPUT');
    expect(fromProviderOptions.message).toContain('in providerOptions');
    const fromConfigOptions = await ufsFailure(
      resolveUploadSettings({ env: {}, config: { providerOptions: { s4: {} } } }),
    );
    expect(fromConfigOptions.code).toBe('CONFIG_INVALID');
    expect(fromConfigOptions.message).toContain('in providerOptions');
  });

  it('a bad config file is CONFIG_INVALID naming the key', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'providers: [catbox]\nverfy: false\n');
    const error = await ufsFailure(resolveUploadSettings({ configFile: config, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('verfy');
    const missing = await ufsFailure(resolveUploadSettings({ configFile: join(dir, 'none.yaml'), env: {} }));
    expect(missing.code).toBe('CONFIG_INVALID');
  });
});

describe('retry, fallback, fragile, verification', () => {
  it('tries providers in order; emits attempt/retry/failure/verify/success events', async () => {
    const file = await randomFile(dir, 'events.bin');
    catbox.fake.fail(503, { times: 3 });
    const events: UploadEvent[] = [];
    const result = await uploadFile(file.path, opts({ providers: ['catbox', '0x0'], onEvent: (e) => events.push(e) }));
    expect(result.provider).toBe('0x0');
    expect(events.map((e) => `${e.type}:${e.provider}`)).toEqual([
      'attempt:catbox',
      'retry:catbox',
      'attempt:catbox',
      'retry:catbox',
      'attempt:catbox',
      'failure:catbox',
      'attempt:0x0',
      'verify:0x0',
      'success:0x0',
    ]);
    expect(result.report).toEqual([
      expect.objectContaining({
        provider: 'catbox',
        outcome: 'failed',
        attempts: 3,
        code: 'UNAVAILABLE',
        retryable: true,
      }),
      { provider: '0x0', outcome: 'success', attempts: 1 },
    ]);
  });

  it('every 5xx of a hosting service is transient, 501 included (retried, then success)', async () => {
    const file = await randomFile(dir, 'five-oh-one.bin');
    catbox.fake.fail(501);
    const events: UploadEvent[] = [];
    const result = await uploadFile(file.path, opts({ providers: ['catbox'], onEvent: (e) => events.push(e) }));
    expect(result.provider).toBe('catbox');
    const retry = events.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ provider: 'catbox', error: { code: 'UNAVAILABLE', retryable: true } });
    expect(result.report).toEqual([{ provider: 'catbox', outcome: 'success', attempts: 2 }]);
  });

  it('when every provider fails, one error lists each provider and its reason', async () => {
    const file = await randomFile(dir, 'allfail.bin');
    catbox.fake.fail(400);
    x0.fake.answerWithoutUrl();
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox', '0x0'], expire: '1h' })));
    // catbox cannot choose expiry → skipped; 0x0 answered without URL.
    expect(error.message).toMatch(/all 2 providers failed/);
    expect(error.message).toMatch(/- catbox \(skipped\): cannot choose expiry 1h/);
    expect(error.message).toMatch(/- 0x0: .*no URL/);
    expect(error.context.failures).toHaveLength(2);
  });

  it('mixed reasons give UNAVAILABLE with every reason; same reason keeps its code', async () => {
    const file = await randomFile(dir, 'mixed.bin');
    catbox.fake.fail(400);
    x0.fake.fail(404);
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox', '0x0'] })));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/catbox: .*HTTP 400/);
    expect(error.message).toMatch(/0x0: .*HTTP 404/);
    catbox.fake.fail(401);
    x0.fake.fail(403);
    expect((await ufsFailure(uploadFile(file.path, opts({ providers: ['catbox', '0x0'] })))).code).toBe(
      'PERMISSION_DENIED',
    );
  });

  it('expire skips providers that cannot choose expiry, with the reason', async () => {
    const file = await randomFile(dir, 'expire.bin');
    const result = await uploadFile(file.path, opts({ providers: ['catbox', 'litterbox'], expire: '72h' }));
    expect(result.provider).toBe('litterbox');
    expect(result.report[0]).toMatchObject({ provider: 'catbox', outcome: 'skipped', code: 'UNSUPPORTED' });
    expect(catbox.fake.uploads).toBe(0);
  });

  it('oversize files skip providers whose limit is smaller (with the reason) and go to the next', async () => {
    const path = await sparseFile(dir, 'big.bin', 200_000_001);
    const events: UploadEvent[] = [];
    const error = await ufsFailure(uploadFile(path, opts({ providers: ['catbox'], onEvent: (e) => events.push(e) })));
    expect(error.code).toBe('TOO_LARGE');
    expect(events).toEqual([
      {
        type: 'skip',
        provider: 'catbox',
        reason: expect.stringMatching(/200000001 bytes \(191 MiB\), over the 200000000-byte \(191 MiB\) limit/),
      },
    ]);
    const result = await uploadFile(path, opts({ providers: ['catbox', 'litterbox'] }));
    expect(result).toMatchObject({ provider: 'litterbox', size: 200_000_001, verified: true });
    expect(result.report[0]).toMatchObject({ provider: 'catbox', outcome: 'skipped', code: 'TOO_LARGE' });
    expect(catbox.fake.uploads).toBe(0);
  });

  it('verification can be turned off (reason stated) and a corrupt URL then passes unverified', async () => {
    const file = await randomFile(dir, 'noverify.bin');
    catbox.fake.corruptDownloads();
    const result = await uploadFile(file.path, opts({ providers: ['catbox'], verify: false }));
    expect(result).toMatchObject({ provider: 'catbox', verified: false, verifySkipped: 'verification is turned off' });
    expect(result.timings.verifyMs).toBeUndefined();
  });

  it('a verification download that 404s is a failure of that provider', async () => {
    const file = await randomFile(dir, 'vanish.bin');
    const { catboxFake } = await import('./fakes/catbox.js');
    const forgetful = await catboxFake().start();
    const originalServe = forgetful.serve.bind(forgetful);
    forgetful.serve = async (res) => originalServe(res, undefined);
    try {
      const result = await uploadFile(
        file.path,
        opts({ providers: ['catbox', '0x0'], env: { ...env, UFS_CATBOX_URL: forgetful.url } }),
      );
      expect(result.provider).toBe('0x0');
      expect(result.report[0]).toMatchObject({ code: 'NOT_FOUND', reason: expect.stringContaining('verify') });
    } finally {
      await forgetful.stop();
    }
  });

  it('a missing file is NOT_FOUND before any provider is tried', async () => {
    const error = await ufsFailure(uploadFile(join(dir, 'does-not-exist.bin'), opts({ providers: ['catbox'] })));
    expect(error.code).toBe('NOT_FOUND');
    expect(catbox.fake.uploads).toBe(0);
  });

  it('never returns an empty URL: every success has an http(s) URL that serves the bytes', async () => {
    const file = await randomFile(dir, 'nonempty.bin');
    for (const providers of [['catbox'], ['0x0'], ['litterbox']]) {
      const result = await uploadFile(file.path, opts({ providers }));
      expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\S+$/);
      expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
    }
  });
});

describe('uploadFiles', () => {
  it('uploads many files with bounded concurrency, in input order, failures per item', async () => {
    const files = await Promise.all([1, 2, 3, 4, 5].map((i) => randomFile(dir, `batch-${i}.bin`, 1000 * i)));
    let inFlight = 0;
    let peak = 0;
    const onEvent = (e: UploadEvent) => {
      if (e.type === 'attempt') peak = Math.max(peak, ++inFlight);
      if (e.type === 'success' || e.type === 'failure') inFlight--;
    };
    catbox.fake.stall(100);
    const items = await uploadFiles([...files.map((f) => f.path), join(dir, 'missing.bin')], {
      ...opts({ providers: ['catbox'], onEvent }),
      concurrency: 2,
    });
    expect(peak).toBe(2);
    expect(items.map((i) => i.path)).toEqual([...files.map((f) => f.path), join(dir, 'missing.bin')]);
    expect(items.slice(0, 5).every((i) => i.ok)).toBe(true);
    const last = items[5]!;
    expect(last.ok).toBe(false);
    if (!last.ok) expect(last.error.code).toBe('NOT_FOUND');
    for (const [i, item] of items.slice(0, 5).entries()) {
      if (item.ok) expect(item.result.sha256).toBe(files[i]!.sha256);
    }
  });

  it("many files at once under the caller's signal: no MaxListenersExceededWarning, no listener left on it", async () => {
    const files = await Promise.all(Array.from({ length: 14 }, (_, i) => randomFile(dir, `many-${i}.bin`, 1000)));
    catbox.fake.stall(50); // all twelve in flight at once
    const script = fileURLToPath(new URL('./fixtures/upload-many.ts', import.meta.url));
    const { NODE_OPTIONS: _jest, ...parentEnv } = process.env;
    const run = await execFileAsync(process.execPath, ['--import', 'tsx', script, ...files.map((f) => f.path)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...parentEnv, ...catbox.env },
    });
    expect(run.stdout.trim()).toBe('14');
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');

    // In this process: the caller's signal is left as it was.
    const caller = new AbortController();
    const items = await uploadFiles(
      files.slice(0, 3).map((f) => f.path),
      { ...opts({ providers: ['catbox'], signal: caller.signal }), concurrency: 12 },
    );
    expect(items.every((i) => i.ok)).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});
