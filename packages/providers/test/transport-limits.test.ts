import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ufsFailure } from '@org/core/testing';
import {
  loadProvider,
  resolveUploadSettings,
  uploadFile,
  type UploadEvent,
  type UploadFileOptions,
} from '../src/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// Answers that never end, never come, or redirect forever, from a temp.sh-like server written for these cases
// (PUT /<name> stores the body and answers its URL; GET /f/<id> serves it, unless a case overrides an answer).
type Answer = (req: IncomingMessage, res: ServerResponse, stored: Buffer | undefined) => void | Promise<void>;

let server: Server;
let base = '';
const stored = new Map<string, Buffer>();
const requests: string[] = [];
let onPut: Answer | undefined;
let onGet: Answer | undefined;
let dir: string;
let cleanup: () => Promise<void>;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes `chunk` every millisecond until the client goes away. */
function endless(res: ServerResponse, chunk: Buffer): void {
  const timer = setInterval(() => res.write(chunk), 1);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    void (async () => {
      if (req.method === 'PUT') {
        const bytes = await body(req);
        const id = randomBytes(4).toString('hex');
        stored.set(id, bytes);
        if (onPut) return onPut(req, res, bytes);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${base}/f/${id}\n`);
        return;
      }
      const bytes = stored.get(req.url!.split('/')[2]?.replace(/\?.*/, '') ?? '');
      if (onGet) return onGet(req, res, bytes);
      if (!bytes) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await cleanup();
});
beforeEach(() => {
  onPut = undefined;
  onGet = undefined;
  requests.length = 0;
});

// A safety net: a hang fails the test in 15 s with ABORTED instead of running into jest's timeout.
const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: 'tempsh',
  env: { UFS_TEMPSH_URL: base },
  retry: FAST_RETRY,
  signal: AbortSignal.timeout(15_000),
  ...extra,
});

describe('answers without end', () => {
  it('a verification download with the wrong Content-Length fails at once with INTEGRITY', async () => {
    const file = await randomFile(dir, 'length.bin', 100_000);
    let served = 0;
    onGet = (_req, res) => {
      res.writeHead(200, { 'content-length': '100001' });
      served = 1;
      res.write(Buffer.alloc(1000)); // and never the rest: only the header is needed to know
    };
    const error = await ufsFailure(uploadFile(file.path, opts({ maxAttempts: 1 })));
    expect(served).toBe(1);
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toContain('expected 100000 bytes');
    expect(error.message).toContain('got Content-Length 100001');
  });

  it('a verification download that never ends stops as soon as it passes the size (progress never past total)', async () => {
    const file = await randomFile(dir, 'endless.bin', 100_000);
    onGet = (_req, res, bytes) => {
      res.writeHead(200); // chunked: no length to compare first
      res.write(bytes);
      endless(res, Buffer.alloc(65_536));
    };
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
    onPut = (_req, res) => {
      const id = [...stored.keys()].at(-1)!;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`${base}/f/${id}\n`);
      endless(res, Buffer.alloc(65_536, 0x20));
    };
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
    expect(bad).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('idleTimeoutMs') });
  });

  it('a server that takes the file and never answers: TIMEOUT after the idle timeout, naming it', async () => {
    const file = await randomFile(dir, 'silent.bin', 50_000);
    onPut = () => undefined; // the body was read; no answer ever
    const started = Date.now();
    const error = await ufsFailure(uploadFile(file.path, opts({ idleTimeoutMs: 300, maxAttempts: 2 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no answer within 0.3 s of sending the request');
    expect(error.message).toContain('(idle timeout)');
    expect(requests.filter((r) => r.startsWith('PUT'))).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a verification download that stalls: TIMEOUT after the idle timeout', async () => {
    const file = await randomFile(dir, 'stall.bin', 50_000);
    onGet = (_req, res, bytes) => {
      res.writeHead(200, { 'content-length': String(bytes!.length) });
      res.write(bytes!.subarray(0, 1000)); // then nothing
    };
    const error = await ufsFailure(uploadFile(file.path, opts({ idleTimeoutMs: 300, maxAttempts: 1 })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('no data for 0.3 s while reading the answer');
  });
});

describe('redirects at verification', () => {
  it('a redirect loop and a chain past the limit are "too many redirects (limit 5)"', async () => {
    const file = await randomFile(dir, 'loop.bin', 1000);
    onGet = (req, res) => void res.writeHead(302, { location: req.url! }).end();
    const loop = await ufsFailure(uploadFile(file.path, opts()));
    expect(loop.code).toBe('UNEXPECTED');
    expect(loop.message).toMatch(
      /too many redirects \(limit 5\) at http:\/\/127\.0\.0\.1:\d+\/f\/\w+: it redirects back/,
    );

    onGet = (req, res) => {
      const hop = Number(/\?r(\d+)$/.exec(req.url!)?.[1] ?? 0);
      res.writeHead(302, { location: `${req.url!.replace(/\?.*/, '')}?r${hop + 1}` }).end();
    };
    const chain = await ufsFailure(uploadFile(file.path, opts()));
    expect(chain.code).toBe('UNEXPECTED');
    expect(chain.message).toMatch(/too many redirects \(limit 5\) at .*: the last answer \(HTTP 302\) redirects to/);
  });
});

describe('sources', () => {
  it('a source whose open() hands back a stream already read is refused for the retry, saying so', async () => {
    let puts = 0;
    onPut = (_req, res) => {
      if (++puts === 1) return void res.writeHead(500).end('try again');
      res.writeHead(200).end(`${base}/f/${[...stored.keys()].at(-1)!}\n`);
    };
    const tempsh = await loadProvider('tempsh');
    const data = Buffer.alloc(5000, 7);
    const once = Readable.from([data]);
    const source = { filename: 'x.bin', size: data.length, open: () => once };
    const callOptions = { env: { UFS_TEMPSH_URL: base } };
    expect((await ufsFailure(tempsh.upload(source, callOptions))).code).toBe('UNAVAILABLE');
    const second = await ufsFailure(tempsh.upload(source, callOptions));
    expect(second.code).toBe('INVALID_INPUT');
    expect(second.message).toContain('the source cannot be re-read for a retry');
    expect(puts).toBe(1); // nothing was sent the second time
  });
});

describe('events', () => {
  it('retries of the verification download are retry events with phase "verify"', async () => {
    const file = await randomFile(dir, 'verify-retry.bin', 1000);
    let gets = 0;
    onGet = (_req, res, bytes) => {
      if (++gets === 1) return void res.writeHead(503, { 'retry-after': '0' }).end('warming up');
      res.writeHead(200, { 'content-length': String(bytes!.length) }).end(bytes);
    };
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
