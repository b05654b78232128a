// What the ufs provider says when the server refuses: the server's `detail` with its control characters escaped (a
// terminal escape in it is not run), and a body-less 403 (a HEAD) in words naming the scopes an upload needs. A real
// node:http server speaking the dedup API's refusals.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ufsFailure } from '@org/core/testing';
import { uploadFile, type UploadFileOptions } from '../src/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

let server: Server;
let url = '';
let dir: string;
let cleanup: () => Promise<void>;
let mode: 'escape' | 'forbidden' = 'escape';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  server = createServer((req, res) => {
    req.resume();
    if (mode === 'forbidden') return res.writeHead(403).end();
    // The content check (HEAD) says "not held"; the upload (PUT) is refused with escapes in its detail.
    if (req.method === 'HEAD') return res.writeHead(404).end();
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ detail: 'bad \u001b[31mRED\u001b[0m \u0007 bell', code: 'INVALID_INPUT' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await cleanup();
});

const opts = (): UploadFileOptions => ({
  providers: ['ufs'],
  env: { UFS_SERVER: url, UFS_API_KEY: 'k' },
  retry: FAST_RETRY,
});

it("escapes control characters of the server's detail", async () => {
  mode = 'escape';
  const file = await randomFile(dir, 'e.bin');
  const error = await ufsFailure(uploadFile(file.path, opts()));
  expect(error.message).toContain('bad \\u001b[31mRED\\u001b[0m \\u0007 bell');
  expect(error.message).not.toContain('\u001b');
  expect(error.message).not.toContain('\u0007');
});

it('says what a body-less 403 means', async () => {
  mode = 'forbidden';
  const file = await randomFile(dir, 'f.bin');
  const error = await ufsFailure(uploadFile(file.path, opts()));
  expect(error.code).toBe('PERMISSION_DENIED');
  expect(error.message).toContain(
    'HTTP 403: the API key may not do this (uploading through ufs needs the read and write scopes)',
  );
});
