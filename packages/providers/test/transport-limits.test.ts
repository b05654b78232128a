import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ufsFailure } from '@org/core/testing';
import {
  MAX_TIMEOUT_MS,
  loadProvider,
  resolveUploadSettings,
  uploadFile,
  type UploadEvent,
  type UploadFileOptions,
} from '../src/index.js';
import type { StoredFile } from './fakes/base.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// Answers that never end, never come, or redirect forever, from the temp.sh fake (PUT /<name> stores the body and
// answers its URL; GET /<id>/<name> serves it) with its answers replaced case by case (answerUploads/answerDownloads).
let tempsh: Harness;
let dir: string;
let cleanup: () => Promise<void>;

/** The bytes of a stored file. */
const bytesOf = (file: StoredFile | undefined): Promise<Buffer> => readFile(file!.path);

/** Writes `chunk` every millisecond until the client goes away. */
function endless(res: ServerResponse, chunk: Buffer): void {
  const timer = setInterval(() => res.write(chunk), 1);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  tempsh = await HARNESSES.tempsh!();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all([tempsh.stop(), cleanup()]);
});
afterEach(() => tempsh.fake.reset());

// A safety net: a hang fails the test in 15 s with ABORTED instead of running into jest's timeout.
const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: 'tempsh',
  env: tempsh.env,
  retry: FAST_RETRY,
  signal: AbortSignal.timeout(15_000),
  ...extra,
});

describe('answers without end', () => {
  it('a verification download with the wrong Content-Length fails at once with INTEGRITY', async () => {
    const file = await randomFile(dir, 'length.bin', 100_000);
    let served = 0;
    tempsh.fake.answerDownloads((res) => {
      res.writeHead(200, { 'content-length': '100001' });
      served = 1;
      res.write(Buffer.alloc(1000)); // and never the rest: only the header is needed to know
    });
    const error = await ufsFailure(uploadFile(file.path, opts({ maxAttempts: 1 })));
    expect(served).toBe(1);
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toContain('expected 100000 bytes');
    expect(error.message).toContain('got Content-Length 100001');
  });

  it('a verification download that never ends stops as soon as it passes the size (progress never past total)', async () => {
    const file = await randomFile(dir, 'endless.bin', 100_000);
    tempsh.fake.answerDownloads(async (res, stored) => {
      res.writeHead(200); // chunked: no length to compare first
      res.write(await bytesOf(stored));
      endless(res, Buffer.alloc(65_536));
    });
    let most = 0;
    const started = Date.now();
    const error = await ufsFailure(
      uploadFile(
        file.path,
        opts({ onProgress: (e) => void (e.phase === 'verify' && (most = Math.max(most, e.loaded))) }),
      ),
    );
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toContain('got more than 100000 bytes');
    expect(most).toBeLessThanOrEqual(100_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an upload answer that never ends is read up to its limit, then closed', async () => {
    const file = await randomFile(dir, 'endless-answer.bin', 1000);
    tempsh.fake.answerUploads((res, _stored, url) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`${url}\n`);
      endless(res, Buffer.alloc(65_536, 0x20));
    });
    const result = await uploadFile(file.path, opts());
    expect(result).toMatchObject({ provider: 'tempsh', verified: true });
  });
});

describe('idle timeout', () => {
  it('defaults to 60 s, from the options or the config file (0 turns it off)', async () => {
    expect((await resolveUploadSettings({ env: {} })).idleTimeoutMs).toBe(60_000);
    expect((await resolveUploadSettings({ env: {}, config: { idleTimeoutMs: 0 } })).idleTimeoutMs).toBe(0);
    expect((await resolveUploadSettings({ env: {}, idleTimeoutMs: 5000 })).idleTimeoutMs).toBe(5000);
    const bad = await ufsFailure(resolveUploadSettings({ env: {}, idleTimeoutMs: -1 }));
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('idleTimeoutMs') });
  });

  it('a server that takes the file and never answers: TIMEOUT after the idle timeout, naming it', async () => {
    const file = await randomFile(dir, 'silent.bin', 50_000);
    tempsh.fake.answerUploads(() => undefined); // the body was read; no answer ever
    const started = Date.now();
    const error = await ufsFailure(uploadFile(file.path, opts({ idleTimeoutMs: 300, maxAttempts: 2 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no answer within 0.3 s of sending the request');
    expect(error.message).toContain('(idle timeout)');
    expect(tempsh.fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a verification download that stalls: TIMEOUT after the idle timeout', async () => {
    const file = await randomFile(dir, 'stall.bin', 50_000);
    tempsh.fake.answerDownloads(async (res, stored) => {
      res.writeHead(200, { 'content-length': String(stored!.size) });
      res.write((await bytesOf(stored)).subarray(0, 1000)); // then nothing
    });
    const error = await ufsFailure(uploadFile(file.path, opts({ idleTimeoutMs: 300, maxAttempts: 1 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no data for 0.3 s while reading the answer');
  });
});

describe('idle timeout of a provider called directly', () => {
  it('comes from ProviderCallOptions.idleTimeoutMs, passed like timeoutMs', async () => {
    const provider = await loadProvider('tempsh');
    const data = Buffer.alloc(5000, 1);
    const source = { filename: 'direct.bin', size: data.length, open: () => Readable.from([data]) };
    tempsh.fake.answerUploads(() => undefined); // the body was read; no answer ever
    const started = Date.now();
    const error = await ufsFailure(
      provider.upload(source, { env: tempsh.env, idleTimeoutMs: 300, signal: AbortSignal.timeout(15_000) }),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no answer within 0.3 s of sending the request');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a timeout under 0.1 s is named in ms, not rounded to "0 s"', async () => {
    const file = await randomFile(dir, 'short.bin', 1000);
    tempsh.fake.answerUploads(() => undefined);
    const error = await ufsFailure(uploadFile(file.path, opts({ idleTimeoutMs: 40, maxAttempts: 1 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no answer within 40 ms of sending the request');
  });
});

describe('timeouts of a provider called directly', () => {
  // Checked as uploadFile checks its options (the orchestrator's rules and words), as INVALID_INPUT: before this, a
  // timer past 2^31-1 ms fired at once (a "wait forever" 1e12 timed the upload out at once) and NaN meant no deadline.
  const NODE_TIMER = 'the longest timer Node.js can set, about 24.8 days';
  const cases: Array<[name: 'timeoutMs' | 'idleTimeoutMs', value: number, problem: string]> = [
    ['timeoutMs', 1e12, `must be a whole number from 1 to 2147483647 (${NODE_TIMER}), got 1000000000000`],
    ['timeoutMs', MAX_TIMEOUT_MS + 1, `must be a whole number from 1 to 2147483647 (${NODE_TIMER}), got 2147483648`],
    ['timeoutMs', Infinity, `must be a whole number from 1 to 2147483647 (${NODE_TIMER}), got Infinity`],
    ['timeoutMs', Number.NaN, 'must be a whole number from 1 to 2147483647, got NaN'],
    ['timeoutMs', 0, 'must be a whole number from 1 to 2147483647, got 0'],
    ['idleTimeoutMs', -5, 'must be a whole number from 0 to 2147483647, got -5'],
    ['idleTimeoutMs', 1.5, 'must be a whole number from 0 to 2147483647, got 1.5'],
    ['idleTimeoutMs', 3e9, `must be a whole number from 0 to 2147483647 (${NODE_TIMER}), got 3000000000`],
  ];
  const sourceOf = (filename: string, data = Buffer.alloc(3000, 5)) => ({
    filename,
    size: data.length,
    open: () => Readable.from([data]),
  });
  let filebin: Harness;
  let dropbox: Harness;
  beforeAll(async () => {
    [filebin, dropbox] = await Promise.all([HARNESSES.filebin!(), HARNESSES.dropbox!()]);
  });
  afterAll(async () => {
    await Promise.all([filebin.stop(), dropbox.stop()]);
  });
  afterEach(() => {
    filebin.fake.reset();
    dropbox.fake.reset();
  });

  it('out of range, not whole or not a number: INVALID_INPUT naming the option and the value, nothing sent', async () => {
    const provider = await loadProvider('tempsh');
    for (const [name, value, problem] of cases) {
      const error = await ufsFailure(
        provider.upload(sourceOf('bad.bin'), { env: tempsh.env, signal: AbortSignal.timeout(15_000), [name]: value }),
      );
      expect([error.code, error.message]).toEqual([
        'INVALID_INPUT',
        `[ufs] [tempsh] upload "bad.bin": option ${name} ${problem}`,
      ]);
      expect(error.context).toMatchObject({ provider: 'tempsh', operation: 'upload', option: name });
      // The same words as uploadFile's options (which are checked before any provider is called).
      const fromOptions = await ufsFailure(resolveUploadSettings({ env: {}, [name]: value }));
      expect(error.message).toContain(fromOptions.message.replace('[ufs] ', ''));
    }
    expect(tempsh.fake.requests).toHaveLength(0);
  });

  it('a provider through an SDK (dropbox) and a delete are checked the same way, before any request', async () => {
    const viaSdk = await loadProvider('dropbox');
    const upload = await ufsFailure(viaSdk.upload(sourceOf('sdk.bin'), { env: dropbox.env, timeoutMs: 1e12 }));
    expect([upload.code, upload.message]).toEqual([
      'INVALID_INPUT',
      `[ufs] [dropbox] upload "sdk.bin": option timeoutMs ${cases[0]![2]}`,
    ]);
    const withDelete = await loadProvider('filebin');
    const result = await withDelete.upload(sourceOf('kept.bin'), { env: filebin.env });
    const before = filebin.fake.requests.length;
    const remove = await ufsFailure(withDelete.delete!(result, { env: filebin.env, idleTimeoutMs: Number.NaN }));
    expect([remove.code, remove.message]).toEqual([
      'INVALID_INPUT',
      `[ufs] [filebin] delete "${result.url}": option idleTimeoutMs must be a whole number from 0 to 2147483647, got NaN`,
    ]);
    expect(dropbox.fake.requests).toHaveLength(0);
    expect(filebin.fake.requests).toHaveLength(before);
    await withDelete.delete!(result, { env: filebin.env }); // the bin is still there to delete
  });

  it('the longest allowed (MAX_TIMEOUT_MS, about 24.8 days) waits as asked: the upload goes through', async () => {
    const longest = { timeoutMs: MAX_TIMEOUT_MS, idleTimeoutMs: MAX_TIMEOUT_MS };
    const data = randomBytes(4000);
    const result = await (
      await loadProvider('tempsh')
    ).upload(sourceOf('long.bin', data), {
      env: tempsh.env,
      ...longest,
    });
    expect((await download(result.url)).bytes.equals(data)).toBe(true);
    const viaSdk = await (
      await loadProvider('dropbox')
    ).upload(sourceOf('long.bin', data), {
      env: dropbox.env,
      ...longest,
    });
    expect(viaSdk.provider).toBe('dropbox');
    const withDelete = await loadProvider('filebin');
    const kept = await withDelete.upload(sourceOf('long.bin', data), { env: filebin.env, ...longest });
    await withDelete.delete!(kept, { env: filebin.env, ...longest });
    expect(filebin.fake.requests.map((r) => r.method)).toEqual(['PUT', 'DELETE']);
  });
});

describe('the deadline of a request (timeoutMs)', () => {
  it('names the deadline in seconds, like the other durations', async () => {
    const file = await randomFile(dir, 'deadline.bin', 1000);
    tempsh.fake.answerUploads(() => undefined); // no answer ever; the idle timeout is off, the deadline ends it
    const error = await ufsFailure(uploadFile(file.path, opts({ timeoutMs: 1500, idleTimeoutMs: 0, maxAttempts: 1 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no complete answer within 1.5 s');
  });
});

describe('redirects at verification', () => {
  it('a redirect loop and a chain past the limit are "too many redirects (limit 5)"', async () => {
    const file = await randomFile(dir, 'loop.bin', 1000);
    tempsh.fake.answerDownloads((res, _stored, url) => void res.writeHead(302, { location: url }).end());
    const loop = await ufsFailure(uploadFile(file.path, opts()));
    expect(loop.code).toBe('UNEXPECTED');
    expect(loop.message).toMatch(
      /too many redirects \(limit 5\) at http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]+\/loop\.bin: it redirects back/,
    );

    tempsh.fake.answerDownloads((res, _stored, url) => {
      const hop = Number(/\?r(\d+)$/.exec(url)?.[1] ?? 0);
      res.writeHead(302, { location: `${url.replace(/\?.*/, '')}?r${hop + 1}` }).end();
    });
    const chain = await ufsFailure(uploadFile(file.path, opts()));
    expect(chain.code).toBe('UNEXPECTED');
    expect(chain.message).toMatch(/too many redirects \(limit 5\) at .*: the last answer \(HTTP 302\) redirects to/);
  });
});

describe('sources', () => {
  it('a source whose open() hands back a stream already read is refused for the retry, saying so', async () => {
    tempsh.fake.fail(500, { body: 'try again' });
    const provider = await loadProvider('tempsh');
    const data = Buffer.alloc(5000, 7);
    const once = Readable.from([data]);
    const source = { filename: 'x.bin', size: data.length, open: () => once };
    const callOptions = { env: tempsh.env };
    expect((await ufsFailure(provider.upload(source, callOptions))).code).toBe('UNAVAILABLE');
    const second = await ufsFailure(provider.upload(source, callOptions));
    expect(second.code).toBe('INVALID_INPUT');
    expect(second.message).toContain('the source cannot be re-read for a retry');
    expect(tempsh.fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(1); // nothing was sent the second time
  });
});

describe('events', () => {
  it('retries of the verification download are retry events with phase "verify"', async () => {
    const file = await randomFile(dir, 'verify-retry.bin', 1000);
    tempsh.fake.answerDownloads((res) => {
      tempsh.fake.answerDownloads(undefined); // the next download is served
      res.writeHead(503, { 'retry-after': '0' }).end('warming up');
    });
    const events: UploadEvent[] = [];
    const result = await uploadFile(file.path, opts({ onEvent: (e) => events.push(e) }));
    expect(result.verified).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['attempt', 'verify', 'retry', 'success']);
    expect(events[2]).toMatchObject({
      type: 'retry',
      phase: 'verify',
      provider: 'tempsh',
      attempt: 1,
      error: { code: 'UNAVAILABLE' },
    });
  });
});
