import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ufsFailure } from '@org/core/testing';
import { fileSource, loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { FAST_RETRY, randomFile, sparseFile, tempDir } from './helpers.js';

// A success that arrives before the body was sent is no upload: the URL it names cannot serve the bytes that were
// hashed. A real HTTP server of this test answers at once, without reading the body (raw PUT as temp.sh, multipart
// POST as catbox), or reads it all first (a normal service, which must still work).

let server: Server;
let base: string;
/** How the server answers a request (it has read nothing of the body yet). */
let answer: (req: IncomingMessage, res: ServerResponse) => void;
/** Bytes of request bodies the server read. */
let received = 0;
let dir: string;
let cleanup: () => Promise<void>;

/** Answers 200 with a URL at once, reading none of the body. */
const early200 = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${base}/f/early\n`);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(404);
      res.end('nothing here');
      return;
    }
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await cleanup();
});
beforeEach(() => {
  received = 0;
});

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['tempsh'],
  env: { UFS_TEMPSH_URL: base, UFS_CATBOX_URL: base },
  retry: FAST_RETRY,
  maxAttempts: 1,
  verify: false,
  signal: AbortSignal.timeout(30_000),
  ...extra,
});

describe('a 2xx answer before the body was sent', () => {
  it('raw PUT (temp.sh): a failure naming it, no URL handed out', async () => {
    answer = early200;
    const path = await sparseFile(dir, 'big40.bin', 40 * 1024 * 1024);
    const error = await ufsFailure(uploadFile(path, opts()));
    expect(error.code).toBe('UNEXPECTED');
    expect(error.message).toMatch(/the service answered HTTP 200 before the upload was sent \(\d+ of 41943040 bytes/);
    // The provider alone says the same.
    const tempsh = await loadProvider('tempsh');
    const direct = await ufsFailure(tempsh.upload(await fileSource(path), { env: { UFS_TEMPSH_URL: base } }));
    expect([direct.code, direct.retryable]).toEqual(['UNEXPECTED', false]);
    expect(direct.message).toMatch(/^\[ufs\] \[tempsh\] upload "big40\.bin": the service answered HTTP 200 before/);
  });

  it('multipart POST (catbox): the same', async () => {
    answer = early200;
    const path = await sparseFile(dir, 'big-form.bin', 40 * 1024 * 1024);
    const error = await ufsFailure(uploadFile(path, opts({ providers: ['catbox'] })));
    expect(error.code).toBe('UNEXPECTED');
    expect(error.message).toMatch(/\[catbox\] upload "big-form\.bin": the service answered HTTP 200 before the upload/);
  });
});

describe('a service that reads the whole body first', () => {
  it('answers fast and counts: raw PUT and multipart', async () => {
    answer = (req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.byteLength));
      req.on('end', () => res.end(`${base}/f/ok\n`));
    };
    const file = await randomFile(dir, 'fine.bin', 3 * 1024 * 1024 + 17);
    const put = await uploadFile(file.path, opts());
    expect(put.url).toBe(`${base}/f/ok`);
    expect(received).toBe(file.bytes.byteLength);

    received = 0;
    const post = await uploadFile(file.path, opts({ providers: ['catbox'] }));
    expect(post.url).toBe(`${base}/f/ok`);
    expect(received).toBeGreaterThan(file.bytes.byteLength); // the file and the form around it

    received = 0;
    const empty = await randomFile(dir, 'empty.bin', 0);
    expect((await uploadFile(empty.path, opts())).url).toBe(`${base}/f/ok`);
  });
});
