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

  it('a failed If-Match is 412 through its reason', () => {
    const failed = new UfsError('ALREADY_EXISTS', '[ufs] If-Match "x" does not match', {
      context: { reason: 'precondition-failed' },
    });
    expect(errorResponse(failed)).toMatchObject({ status: 412, body: { code: 'ALREADY_EXISTS', retryable: false } });
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

  it('server-side failures get a generic detail by code, never the driver text or an address (but a busy 503 says why)', () => {
    const cases: [UfsError, number, string][] = [
      [
        new UfsError('UNAVAILABLE', '[ufs] [mongo] find file: connect ECONNREFUSED 10.20.30.40:27017', {
          context: { backend: 'mongo', operation: 'find file' },
        }),
        503,
        'metadata store unavailable, try again',
      ],
      [
        new UfsError('UNAVAILABLE', '[ufs] [sqlite] upsert file: database is locked (/srv/ufs/ufs.db)', {
          context: { backend: 'sqlite' },
        }),
        503,
        'metadata store unavailable, try again',
      ],
      [
        new UfsError('UNAVAILABLE', '[ufs] [s3] read "aa/aabb" at https://10.0.0.9:9000/bucket: ECONNRESET'),
        503,
        'temporarily unavailable, try again',
      ],
      [
        // Written by the server for clients: the detail says why to wait.
        new UfsError('UNAVAILABLE', '[ufs] content abc is being garbage-collected; retry shortly', {
          context: { reason: 'busy' },
        }),
        503,
        'content abc is being garbage-collected; retry shortly',
      ],
      [
        new UfsError('TIMEOUT', '[ufs] [s3] write at db-internal.example:9000 timed out'),
        504,
        'the server timed out, try again',
      ],
      [
        new UfsError('UNSUPPORTED', '[ufs] [gcs] "/srv/secret/key": this mount does not declare versioning'),
        501,
        'not supported by this server',
      ],
    ];
    for (const [error, status, detail] of cases) {
      const response = errorResponse(error);
      expect(response.status).toBe(status);
      expect(response.body).toEqual({ detail, code: error.code, retryable: error.retryable });
    }
  });

  it('a body of a Content-Type the endpoint does not take is 415', () => {
    const error = new UfsError('INVALID_INPUT', '[ufs] needs Content-Type: application/offset+octet-stream', {
      context: { reason: 'unsupported-media-type' },
    });
    expect(errorResponse(error)).toMatchObject({ status: 415, body: { code: 'INVALID_INPUT' } });
  });

  it('hides the text of unexpected errors', () => {
    const secret = new Error('ENOENT: /srv/ufs/internal/path at Object.<anonymous> (server.js:1:1)');
    const { status, body } = errorResponse(secret);
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('/srv/ufs');
    expect(body.detail).toBe('internal error');
  });
});
