// A Dropbox error answer is read up to a small bound (`ERROR_BODY_LIMIT`, 64 KiB), never whole: a server or proxy
// answering 4xx/5xx with a huge or endless body fails the call promptly, with the code and summary of what it sent
// first, while memory stays flat and the rest of the body is never downloaded. Content routes (our own calls), RPC
// routes, uploads and the token refresh (the SDK's) alike, against a real node:http server on loopback.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ErrorCode, StorageBackend } from '@org/core';
import definition from '../src/backends/dropbox/index.js';
import { ERROR_BODY_LIMIT } from '../src/backends/dropbox/client.js';
import { rejectsWith } from './helpers.js';

const MiB = 1024 * 1024;
/** Bytes the server offers after the error's start: far more than a bounded reader may take. */
const OFFERED = 64 * MiB;

interface Answer {
  status: number;
  /** What the body starts with; OFFERED bytes of `pad` follow. */
  start: string;
  pad: string;
  type: string;
}

/** Route (`/api.dropboxapi.com/2/files/get_metadata`) → its answer; every other route answers 500 likewise. */
let answers: Record<string, Answer> = {};
/** Body bytes the server handed to the socket, per request (the rest it never sent: the client stopped reading). */
const sent: number[] = [];

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const route = (req.url ?? '').replace(/\?.*$/, '');
  const { status, start, pad, type } = answers[route] ?? { status: 500, start: '', pad: 'x', type: 'text/plain' };
  res.writeHead(status, { 'content-type': type });
  const index = sent.push(0) - 1;
  let closed = false;
  res.on('close', () => (closed = true));
  const chunk = Buffer.from(pad.repeat(Math.ceil((64 * 1024) / pad.length)));
  const write = (bytes: Buffer) => {
    sent[index]! += bytes.length;
    return res.write(bytes);
  };
  write(Buffer.from(start));
  for (let offered = 0; offered < OFFERED && !closed; offered += chunk.length) {
    if (!write(chunk))
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
  }
  if (!closed) res.end();
}

const server = createServer((req, res) => void answer(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const create = async (raw: Record<string, unknown> = {}) =>
  (await definition.create(definition.options.parse({ accessToken: 'token', apiBaseUrl: url, ...raw }), {
    mountName: 'box',
    env: {},
  })) as StorageBackend;

const notFound: Answer = {
  status: 409,
  // A real Dropbox route error, then (a proxy's?) endless padding: whitespace, so the first 64 KiB are still JSON.
  start: JSON.stringify({
    error_summary: 'path/not_found/..',
    error: { '.tag': 'path', path: { '.tag': 'not_found' } },
  }),
  pad: ' ',
  type: 'application/json',
};

beforeEach(() => {
  answers = {};
  sent.length = 0;
});

/**
 * Runs `call` (which must fail with `code`), sampling memory meanwhile: it must fail within 10 s, the server must not
 * have got more than a few MiB out (what socket buffers hold), and the heap and RSS must not grow by the body.
 */
async function failsBounded(call: () => Promise<unknown>, code: ErrorCode) {
  global.gc?.();
  const before = process.memoryUsage();
  let peak = { rss: before.rss, heapUsed: before.heapUsed };
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed) };
  }, 5);
  const started = Date.now();
  try {
    const error = await rejectsWith(call(), code);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sent.length).toBeGreaterThan(0);
    for (const bytes of sent) expect(bytes).toBeLessThan(16 * MiB);
    expect(peak.heapUsed - before.heapUsed).toBeLessThan(32 * MiB);
    expect(peak.rss - before.rss).toBeLessThan(48 * MiB);
    return error;
  } finally {
    clearInterval(sampler);
  }
}

describe('a Dropbox error answer with an endless body', () => {
  it('on a content route (download) fails with its code and summary, the body read only up to the bound', async () => {
    answers['/content.dropboxapi.com/2/files/download'] = notFound;
    const box = await create();
    const error = await failsBounded(async () => Readable.from(await box.read('a.txt')).toArray(), 'NOT_FOUND');
    expect(error.message).toMatch(/^\[ufs\] /);
    expect(error.message).toContain('no such file or folder');
    expect(error.context.summary).toBe('path/not_found/..');
    expect(error.context.status).toBe(409);
  }, 30_000);

  it('on an RPC route (metadata, listing) fails likewise', async () => {
    answers['/api.dropboxapi.com/2/files/list_folder'] = {
      ...notFound,
      start: JSON.stringify({ error_summary: 'path/malformed_path/..', error: { '.tag': 'path' } }),
    };
    const box = await create();
    const error = await failsBounded(() => box.list('odd'), 'INVALID_INPUT');
    expect(error.context.summary).toBe('path/malformed_path/..');
    // get_metadata answers 500 with endless text: a server failure, retryable, named by its status.
    const failed = await failsBounded(() => box.stat('a.txt'), 'UNAVAILABLE');
    expect(failed.retryable).toBe(true);
    expect(failed.context.status).toBe(500);
  }, 30_000);

  it('on an upload fails likewise', async () => {
    answers['/content.dropboxapi.com/2/files/upload'] = {
      ...notFound,
      start: JSON.stringify({ error_summary: 'path/insufficient_space/..', error: { '.tag': 'path' } }),
    };
    const box = await create();
    const error = await failsBounded(() => box.write('a.txt', Readable.from([Buffer.from('data')])), 'TOO_LARGE');
    expect(error.context.summary).toBe('path/insufficient_space/..');
  }, 30_000);

  it('on the token refresh fails likewise', async () => {
    answers['/api.dropboxapi.com/oauth2/token'] = {
      status: 400,
      start: JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token is malformed' }),
      pad: ' ',
      type: 'application/json',
    };
    const box = await create({ accessToken: undefined, refreshToken: 'refresh', appKey: 'key', appSecret: 'secret' });
    const error = await failsBounded(() => box.stat('a.txt'), 'PERMISSION_DENIED');
    expect(error.message).toContain('the refresh token is invalid or revoked');
  }, 30_000);

  it('keeps a small error whole, and a cut one as the text it began with', async () => {
    expect(ERROR_BODY_LIMIT).toBe(64 * 1024);
    answers['/content.dropboxapi.com/2/files/download'] = {
      status: 409,
      start: 'path/not_found/',
      pad: 'z',
      type: 'text/plain',
    };
    const box = await create();
    const error = await failsBounded(async () => Readable.from(await box.read('a.txt')).toArray(), 'NOT_FOUND');
    expect(String(error.context.summary)).toMatch(/^path\/not_found\/z+$/);
  }, 30_000);
});
