// The S3 error table, for answers radosgw cannot be made to give (throttling, 5xx): pure logic on the SDK's own
// exception class. Credentials, missing buckets and keys, 412s and network errors are tested against radosgw in
// s3-behaviour.test.ts and s3-writes.test.ts.
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { s3Error } from '../../src/backends/s3/errors.js';

const where = { operation: 'write', path: 'a/b.txt', bucket: 'photos', mount: 'pics' };
function serviceError(name: string, status: number, headers: Record<string, string> = {}) {
  const err = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
    message: 'UnknownError',
  });
  return Object.assign(err, { $response: { statusCode: status, headers } });
}

describe('s3 error mapping', () => {
  it.each([
    ['SlowDown', 503, 'RATE_LIMITED', true, 'the server asks to slow down (HTTP 503 SlowDown)'],
    ['ServiceUnavailable', 503, 'UNAVAILABLE', true, 'service unavailable (HTTP 503 ServiceUnavailable)'],
    ['InternalError', 500, 'UNAVAILABLE', true, 'internal server error (HTTP 500 InternalError)'],
    ['UnknownError', 502, 'UNAVAILABLE', true, 'UnknownError (HTTP 502 UnknownError)'],
    ['TooManyRequests', 429, 'RATE_LIMITED', true, 'too many requests (HTTP 429 TooManyRequests)'],
    ['AccessDenied', 403, 'PERMISSION_DENIED', false, 'access denied (HTTP 403 AccessDenied)'],
    ['ExpiredToken', 400, 'PERMISSION_DENIED', false, 'the session token has expired (HTTP 400 ExpiredToken)'],
    ['PreconditionFailed', 412, 'ALREADY_EXISTS', false, 'the object already exists (HTTP 412 PreconditionFailed)'],
    ['NoSuchKey', 404, 'NOT_FOUND', false, 'no such object (HTTP 404 NoSuchKey)'],
    ['EntityTooLarge', 400, 'TOO_LARGE', false, 'the object is too large (HTTP 400 EntityTooLarge)'],
    ['BadDigest', 400, 'INTEGRITY', false, 'the content does not match its checksum (HTTP 400 BadDigest)'],
    ['RequestTimeout', 400, 'TIMEOUT', true, 'the server timed out reading the request (HTTP 400 RequestTimeout)'],
    ['WeirdNewError', 418, 'INVALID_INPUT', false, 'WeirdNewError (HTTP 418 WeirdNewError)'],
  ])('%s (HTTP %i) → %s', (name, status, code, retryable, what) => {
    const error = s3Error(serviceError(name, status), where);
    expect(error).toBeInstanceOf(UfsError);
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code, retryable });
    expect(error.message).toBe(`[ufs] [s3] write "pics:a/b.txt": ${what}`);
    expect(error.context).toMatchObject({
      backend: 's3',
      mount: 'pics',
      operation: 'write',
      path: 'pics:a/b.txt',
      bucket: 'photos',
      status,
    });
  });

  it('names the bucket when it is missing, and keeps the server request id', () => {
    const error = s3Error(serviceError('NoSuchBucket', 404), where);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('[ufs] [s3] write "pics:a/b.txt": bucket "photos" does not exist');
    expect(error.context).toMatchObject({ requestId: 'req-1', s3Code: 'NoSuchBucket' });
  });

  it('passes on the wait a throttling server asks for', () => {
    const error = s3Error(serviceError('SlowDown', 503, { 'retry-after': '7' }), where);
    expect(error.retryAfterMs).toBe(7000);
  });

  it('classifies network errors, also when the SDK wrapped them without their code', () => {
    const reset = s3Error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), where);
    expect({ code: reset.code, retryable: reset.retryable }).toEqual({ code: 'UNAVAILABLE', retryable: true });
    const wrapped = s3Error(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9'), where);
    expect(wrapped.code).toBe('UNAVAILABLE');
    expect(wrapped.message).toBe('[ufs] [s3] write "pics:a/b.txt": connection refused: 127.0.0.1:9 (ECONNREFUSED)');
    const aborted = s3Error(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), where);
    expect(aborted.code).toBe('ABORTED');
    expect(s3Error(new Error('something odd'), where).code).toBe('UNEXPECTED');
  });

  it('names where a network error could not get to once, and the endpoint only when it tells something more', () => {
    const connection = { endpoint: 'http://127.0.0.1:9', connectTimeoutMs: 0, timeoutMs: 0 };
    const refused = (extra: object) =>
      s3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }, extra), where, connection);
    const prefix = '[ufs] [s3] write "pics:a/b.txt":';
    expect(refused({ address: '127.0.0.1', port: 9 }).message).toBe(
      `${prefix} connection refused: 127.0.0.1:9 (ECONNREFUSED)`,
    );
    expect(refused({ address: '10.0.0.5', port: 9 }).message).toBe(
      `${prefix} connection refused: 10.0.0.5:9 (ECONNREFUSED), endpoint http://127.0.0.1:9`,
    );
    expect(refused({}).message).toBe(`${prefix} connection refused (ECONNREFUSED), endpoint http://127.0.0.1:9`);
    const wrapped = s3Error(
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9'),
      where,
      connection,
    );
    expect(wrapped.message).toBe(`${prefix} connection refused: 127.0.0.1:9 (ECONNREFUSED)`);
    const ipv6 = { endpoint: 'http://[::1]:7480', connectTimeoutMs: 0, timeoutMs: 0 };
    const wrapped6 = s3Error(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED ::1:7480'), where, ipv6);
    expect(wrapped6.message).toBe(`${prefix} connection refused: [::1]:7480 (ECONNREFUSED)`);
    const aws = { endpoint: 'https://s3.example', connectTimeoutMs: 0, timeoutMs: 0 };
    const lookup = (hostname: string) =>
      s3Error(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }),
        where,
        aws,
      );
    expect(lookup('s3.example').message).toBe(`${prefix} host not found: s3.example (ENOTFOUND)`);
    expect(lookup('photos.s3.example').message).toBe(
      `${prefix} host not found: photos.s3.example (ENOTFOUND), endpoint https://s3.example`,
    );
  });

  it('keeps a UfsError, adding context it lacks', () => {
    const original = new UfsError('INVALID_INPUT', 'bad', { context: { path: 'x' } });
    const error = s3Error(original, where);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.context).toMatchObject({ backend: 's3', path: 'x', operation: 'write' });
  });
});
