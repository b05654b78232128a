import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ufsFailure } from '@org/core/testing';
import {
  resolveUploadSettings,
  uploadFile,
  uploadFiles,
  type UploadEvent,
  type UploadFileOptions,
} from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// The options of uploadFile/uploadFiles, as a JavaScript caller may get them wrong: checked by the config file's rules
// (INVALID_INPUT naming the option and what it takes), before anything is sent to a (fake, real HTTP) service.
let catbox: Harness;
let dir: string;
let cleanup: () => Promise<void>;
let file: string;

const opts = (extra: Record<string, unknown> = {}): UploadFileOptions =>
  ({ providers: ['catbox'], env: catbox.env, retry: FAST_RETRY, ...extra }) as UploadFileOptions;

beforeAll(async () => {
  catbox = await HARNESSES.catbox!();
  ({ dir, cleanup } = await tempDir('ufs-upload-options-'));
  file = (await randomFile(dir, 'options.bin')).path;
});
afterAll(async () => {
  await Promise.all([catbox.stop(), cleanup()]);
});
afterEach(() => catbox.fake.reset());

const TAKES = 'uploadFile takes: providers, config, configFile, env, expire, verify, fragile, timeoutMs, idleTimeoutMs';

describe('options of a call are checked like the config file', () => {
  it.each([
    [{ verify: 'no' }, 'option verify must be true or false, got "no"'],
    [{ fragile: 'yes' }, 'option fragile must be true or false, got "yes"'],
    [{ verify: 0 }, 'option verify must be true or false, got 0'],
    [{ retires: 2 }, `option retires is unknown (${TAKES}`],
    [{ retry: { baseDelayMs: -1 } }, 'option retry.baseDelayMs must be a number of ms from 0 to 2147483647, got -1'],
    [
      { retry: { maxDelayMs: Number.NaN } },
      'option retry.maxDelayMs must be a number of ms from 0 to 2147483647, got NaN',
    ],
    [{ retry: { jitter: 'some' } }, 'option retry.jitter must be "full", "equal" or "none", got "some"'],
    [{ retry: { maxAttempts: 5 } }, 'option retry.maxAttempts is unknown (retry takes: baseDelayMs, maxDelayMs'],
    [{ retry: 3 }, 'option retry must be an object, got 3'],
    [{ providers: [3] }, 'option providers must be a list of provider ids or a comma-separated string, got a list'],
    [{ expire: 24 }, 'option expire must be a non-empty string, got 24'],
    [{ onEvent: 'log' }, 'option onEvent must be a function, got "log"'],
    [{ signal: {} }, 'option signal must be an AbortSignal, got an object'],
    [{ maxAttempts: 25 }, 'option maxAttempts must be a whole number from 1 to 20, got 25'],
    [{ concurrency: 2 }, `option concurrency is unknown (${TAKES}`],
  ])('uploadFile %j: INVALID_INPUT naming it, nothing sent', async (bad, message) => {
    const error = await ufsFailure(uploadFile(file, opts(bad)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`[ufs] ${message}`);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(catbox.fake.uploads).toBe(0);
  });

  it('uploadFiles and resolveUploadSettings check them too; every wrong option is named, in one line', async () => {
    const bad = opts({ verify: 'no', retires: 2, concurrency: 0 });
    const error = await ufsFailure(uploadFiles([file], bad));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/^\[ufs\] option verify must be true or false, got "no"; option retires is unknown/);
    expect(error.message).toContain('; option concurrency must be a whole number from 1 to 64, got 0');
    expect(error.context.option).toBe('verify');
    expect((await ufsFailure(resolveUploadSettings(opts({ fragile: 'yes' })))).code).toBe('INVALID_INPUT');
    expect(catbox.fake.uploads).toBe(0);
  });

  it('options that are not an object are refused by name', async () => {
    const error = await ufsFailure(uploadFile(file, null as unknown as UploadFileOptions));
    expect([error.code, error.message]).toEqual([
      'INVALID_INPUT',
      '[ufs] uploadFile: the options must be an object, got null',
    ]);
  });

  it('valid options of every kind still upload (undefined values stand for "not given")', async () => {
    const events: UploadEvent[] = [];
    const result = await uploadFile(
      file,
      opts({
        verify: false,
        fragile: true,
        expire: undefined,
        retry: { baseDelayMs: 0, maxDelayMs: 20, factor: 2, jitter: 'none', maxRetryAfterMs: 1000, deadlineMs: 5000 },
        maxAttempts: 2,
        timeoutMs: 10_000,
        idleTimeoutMs: 0,
        filename: 'named.bin',
        contentType: 'application/x-test',
        signal: new AbortController().signal,
        onEvent: (event: UploadEvent) => events.push(event),
        onProgress: () => undefined,
        providerOptions: { catbox: {} },
      }),
    );
    expect(result).toMatchObject({ provider: 'catbox', verified: false });
    expect(events.at(-1)).toMatchObject({ type: 'success' });
    const items = await uploadFiles([file], { ...opts(), concurrency: 2, onSettled: () => undefined });
    expect(items[0]!.ok).toBe(true);
  });
});

describe('the path arguments', () => {
  it('uploadFiles with a string instead of a list: INVALID_INPUT naming paths', async () => {
    const error = await ufsFailure(uploadFiles('a.txt' as unknown as string[], opts()));
    expect([error.code, error.message]).toEqual([
      'INVALID_INPUT',
      '[ufs] upload: paths must be a list of file paths, got "a.txt"',
    ]);
  });

  it('a path that is not a string: INVALID_INPUT naming it (not Node\'s "path argument" TypeError)', async () => {
    const none = await ufsFailure(uploadFile(undefined as unknown as string, opts()));
    expect([none.code, none.message]).toEqual([
      'INVALID_INPUT',
      '[ufs] upload: the path must be a string, got undefined',
    ]);
    const inList = await ufsFailure(uploadFiles([file, 42 as unknown as string], opts()));
    expect([inList.code, inList.message]).toEqual([
      'INVALID_INPUT',
      '[ufs] upload: the path at index 1 of paths must be a string, got 42',
    ]);
    expect(catbox.fake.uploads).toBe(0);
  });
});
