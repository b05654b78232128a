import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  classifyDropboxSummary,
  classifyHttpStatus,
  classifyNodeError,
  ERROR_CODES,
  httpError,
  isUfsError,
  parseRetryAfter,
  toUfsError,
  UfsError,
} from '../src/index.js';

describe('UfsError', () => {
  it('carries code, retryable, context and cause', () => {
    const cause = new Error('socket hang up');
    const err = new UfsError('UNAVAILABLE', 'boom', { context: { backend: 's3', path: 'a' }, cause });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.context).toEqual({ backend: 's3', path: 'a' });
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(isUfsError(err, 'UNAVAILABLE')).toBe(true);
    expect(isUfsError(err, 'NOT_FOUND')).toBe(false);
  });

  it('defaults retryable by code and lets it be overridden', () => {
    expect(new UfsError('NOT_FOUND', 'x').retryable).toBe(false);
    expect(new UfsError('RATE_LIMITED', 'x').retryable).toBe(true);
    expect(new UfsError('TIMEOUT', 'x').retryable).toBe(true);
    expect(new UfsError('UNAVAILABLE', 'x', { retryable: false }).retryable).toBe(false);
  });

  it('serialises without stack or cause', () => {
    const json = JSON.parse(JSON.stringify(new UfsError('INTEGRITY', 'mismatch', { cause: new Error('secret') })));
    expect(json).toEqual({ code: 'INTEGRITY', message: 'mismatch', retryable: false, context: {} });
  });

  it('keeps the innermost context when more is added', () => {
    const err = new UfsError('NOT_FOUND', 'x', { context: { path: 'inner' } }).withContext({
      path: 'outer',
      mount: 'm',
    });
    expect(err.context).toEqual({ path: 'inner', mount: 'm' });
  });

  it('has the stable code list', () => {
    expect(ERROR_CODES).toEqual(
      expect.arrayContaining([
        'NOT_FOUND',
        'ALREADY_EXISTS',
        'PERMISSION_DENIED',
        'UNSUPPORTED',
        'CONFIG_INVALID',
        'RATE_LIMITED',
        'UNAVAILABLE',
        'TOO_LARGE',
        'INTEGRITY',
        'ABORTED',
        'TIMEOUT',
        'UNEXPECTED',
      ]),
    );
  });
});

describe('classifyHttpStatus', () => {
  it.each([
    [200, undefined],
    [304, undefined],
    [400, { code: 'INVALID_INPUT', retryable: false }],
    [401, { code: 'PERMISSION_DENIED', retryable: false }],
    [403, { code: 'PERMISSION_DENIED', retryable: false }],
    [404, { code: 'NOT_FOUND', retryable: false }],
    [408, { code: 'TIMEOUT', retryable: true }],
    [412, { code: 'ALREADY_EXISTS', retryable: false }],
    [413, { code: 'TOO_LARGE', retryable: false }],
    [415, { code: 'INVALID_INPUT', retryable: false }],
    [429, { code: 'RATE_LIMITED', retryable: true }],
    [500, { code: 'UNAVAILABLE', retryable: true }],
    [501, { code: 'UNSUPPORTED', retryable: false }],
    [502, { code: 'UNAVAILABLE', retryable: true }],
    [503, { code: 'UNAVAILABLE', retryable: true }],
    [504, { code: 'TIMEOUT', retryable: true }],
    [599, { code: 'UNAVAILABLE', retryable: true }],
  ])('%i', (status, expected) => {
    expect(classifyHttpStatus(status)).toEqual(expected);
  });

  it('builds errors with Retry-After and context', () => {
    const err = httpError(429, 'slow down', { provider: 'catbox', operation: 'upload' }, '7');
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(7000);
    expect(err.context.status).toBe(429);
    expect(err.message).toBe('[ufs] [catbox] upload: HTTP 429: slow down');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
  });
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('network error classification (real sockets)', () => {
  it('classifies a refused connection as retryable UNAVAILABLE', async () => {
    const server = createServer();
    const port = await listen(server);
    server.close();
    await once(server, 'close');
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(classifyNodeError(err)?.code).toBe('UNAVAILABLE');
    const ufs = toUfsError(err, { provider: 'x0at', operation: 'upload' });
    expect(ufs.code).toBe('UNAVAILABLE');
    expect(ufs.retryable).toBe(true);
    expect(ufs.message).toContain('ECONNREFUSED');
  });

  it('classifies a reset connection as retryable', async () => {
    const server = createServer((req) => req.socket.destroy());
    const port = await listen(server);
    try {
      const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
      const ufs = toUfsError(err);
      expect(ufs.retryable).toBe(true);
      expect(['UNAVAILABLE', 'TIMEOUT']).toContain(ufs.code);
    } finally {
      server.close();
    }
  });

  it('classifies an AbortSignal timeout as TIMEOUT and an abort as ABORTED', async () => {
    const server = createServer(() => undefined); // never answers
    const port = await listen(server);
    try {
      const timedOut = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(50) }).catch(
        (e: unknown) => e,
      );
      expect(toUfsError(timedOut).code).toBe('TIMEOUT');
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/`, { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      const aborted = toUfsError(await pending);
      expect(aborted.code).toBe('ABORTED');
      expect(aborted.retryable).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('classifies filesystem errors', async () => {
    const err = await readFile('/definitely/not/here').catch((e: unknown) => e);
    const ufs = toUfsError(err, { backend: 'local', operation: 'read', path: 'x' });
    expect(ufs.code).toBe('NOT_FOUND');
    expect(ufs.message).toBe('[ufs] [local] read "x": no such file or directory (ENOENT)');
  });

  it('passes UfsErrors through and wraps the unknown as UNEXPECTED', () => {
    const original = new UfsError('TOO_LARGE', 'big');
    expect(toUfsError(original).code).toBe('TOO_LARGE');
    expect(toUfsError('weird').code).toBe('UNEXPECTED');
    expect(toUfsError(new TypeError('bad')).cause).toBeInstanceOf(TypeError);
  });
});

describe('classifyDropboxSummary', () => {
  it('maps route error summaries to codes; an unknown one is UNEXPECTED', () => {
    const cases: Array<[string, string, boolean]> = [
      ['path/conflict/file/..', 'ALREADY_EXISTS', false],
      ['path/not_found/..', 'NOT_FOUND', false],
      ['path/insufficient_space/..', 'TOO_LARGE', false],
      ['too_many_write_operations/..', 'RATE_LIMITED', true],
      ['path/malformed_path/..', 'INVALID_INPUT', false],
      ['path/no_write_permission/..', 'PERMISSION_DENIED', false],
      ['lookup_failed/incorrect_offset/..', 'INTEGRITY', false],
      ['something_new/..', 'UNEXPECTED', false],
    ];
    for (const [summary, code, retryable] of cases)
      expect([summary, classifyDropboxSummary(summary)]).toEqual([summary, { code, retryable }]);
  });
});
