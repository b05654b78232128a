import { describe, expect, it } from '@jest/globals';
import { ERROR_CODES, UfsError } from '@org/core';
import { errorResponse, HTTP_STATUS_BY_CODE } from '../src/index.js';

describe('error to HTTP status', () => {
  it('maps every code', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS_BY_CODE.NOT_FOUND).toBe(404);
    expect(HTTP_STATUS_BY_CODE.TOO_LARGE).toBe(413);
    expect(HTTP_STATUS_BY_CODE.RATE_LIMITED).toBe(429);
  });

  it('answers client errors with their message and no internals', () => {
    const { status, body } = errorResponse(
      new UfsError('INVALID_INPUT', '[ufs] sha256 must be 64 lowercase hex characters'),
    );
    expect(status).toBe(400);
    expect(body).toEqual({
      detail: 'sha256 must be 64 lowercase hex characters',
      code: 'INVALID_INPUT',
      retryable: false,
    });
  });

  it('hides the text of unexpected errors', () => {
    const secret = new Error('ENOENT: /srv/ufs/internal/path at Object.<anonymous> (server.js:1:1)');
    const { status, body } = errorResponse(secret);
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('/srv/ufs');
    expect(body.detail).toBe('internal error');
  });
});
