import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { errorResponse } from '../src/index.js';
import { isServerFault, serverFault } from '../src/http/server-fault.js';
import { colorsFor } from '../src/http/logger.js';

describe('serverFault: a failure of the server’s own mount or store', () => {
  const at = { backend: 'local', operation: 'write', path: 'content:ab/abcd' };

  it('is a 500 whatever 4xx code the backend gave it, with a generic detail (the message is for the log)', () => {
    for (const code of ['INVALID_INPUT', 'NOT_FOUND', 'TOO_LARGE', 'INTEGRITY'] as const) {
      const original = new UfsError(code, '[ufs] [local] write "content:ab/abcd": operation not permitted (EPERM)', {
        context: { ...at, reason: 'checksum-mismatch' },
      });
      const fault = serverFault(original);
      expect(fault.message).toBe(original.message);
      expect(errorResponse(fault)).toMatchObject({
        status: 500,
        body: { detail: 'internal error', code: 'UNEXPECTED', retryable: false },
      });
    }
  });

  it('is a 503 when it may pass, keeping Retry-After; a raw errno error is classified first', () => {
    const slow = new UfsError('RATE_LIMITED', '[ufs] [s3] write: SlowDown', { context: at, retryAfterMs: 2000 });
    expect(errorResponse(serverFault(slow))).toMatchObject({
      status: 503,
      body: { detail: 'temporarily unavailable, try again', code: 'UNAVAILABLE', retryable: true },
    });
    expect(serverFault(slow).retryAfterMs).toBe(2000);
    const raw = Object.assign(new Error('EACCES: permission denied, open /srv/ufs/content/ab/x'), { code: 'EACCES' });
    const fault = serverFault(raw, at);
    expect(errorResponse(fault).status).toBe(503);
    expect(fault.context).toMatchObject({ ...at, fault: 'server', backendCode: 'PERMISSION_DENIED' });
  });

  it('a mount refusing the server (EPERM, EACCES) is 503 "the server cannot store content now", never a path', () => {
    const original = new UfsError(
      'PERMISSION_DENIED',
      '[ufs] [local] write "content:ab/abcd": operation not permitted (EPERM)',
      {
        context: at,
      },
    );
    const fault = serverFault(original);
    expect(fault.message).toBe(original.message);
    expect(errorResponse(fault)).toMatchObject({
      status: 503,
      body: { detail: 'the server cannot store content now', code: 'UNAVAILABLE', retryable: false },
    });
    const read = serverFault(new UfsError('PERMISSION_DENIED', 'x', { context: { ...at, operation: 'read' } }));
    expect(errorResponse(read).body.detail).toBe('the server cannot read content now');
    // The metadata store keeps its own detail.
    const store = serverFault(new UfsError('PERMISSION_DENIED', 'x', { context: { backend: 'sqlite' } }));
    expect(errorResponse(store)).toMatchObject({
      status: 503,
      body: { detail: 'metadata store unavailable, try again' },
    });
  });

  it('is made once', () => {
    const fault = serverFault(new UfsError('PERMISSION_DENIED', 'x', { context: at }));
    expect(isServerFault(fault)).toBe(true);
    expect(serverFault(fault)).toBe(fault);
    expect(isServerFault(new UfsError('PERMISSION_DENIED', 'your key lacks the write scope'))).toBe(false);
  });
});

describe('log colours', () => {
  it('only on a terminal, never with NO_COLOR', () => {
    expect(colorsFor({ isTTY: true }, {})).toBe(true);
    expect(colorsFor({ isTTY: false }, {})).toBe(false);
    expect(colorsFor({}, {})).toBe(false);
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });
});
