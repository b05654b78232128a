// What GET /health/ready tells anyone of a failed check: pure logic over the error (no path, host or bucket ever).
import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { failedCheck } from '../src/health/readiness-report.js';

const secret = '[ufs] [s3] write "content:_probe/a" at https://user:pw@s3.internal.example/bucket-x: boom';

describe('failedCheck', () => {
  it.each([
    [
      new UfsError('UNAVAILABLE', secret, { cause: { code: 'SQLITE_FULL' } }),
      'write failed: database or disk is full (SQLITE_FULL)',
    ],
    [
      new UfsError('UNEXPECTED', secret, { cause: { code: 'SQLITE_IOERR_WRITE' } }),
      'write failed: I/O error (SQLITE_IOERR_WRITE)',
    ],
    [
      new UfsError('UNAVAILABLE', secret, { context: { errno: 'EPERM' } }),
      'write failed: operation not permitted (EPERM)',
    ],
    [
      new UfsError('UNAVAILABLE', secret, { cause: new UfsError('UNAVAILABLE', 'x', { cause: { code: 'ENOSPC' } }) }),
      'write failed: no space left on device (ENOSPC)',
    ],
    [new UfsError('NOT_FOUND', secret), 'write failed: not found'],
    [new UfsError('INTEGRITY', secret, { cause: { code: 'not-an-errno' } }), 'write failed: unexpected error'],
  ])('case %#', (error, reason) => {
    const failed = failedCheck(error, 'write');
    expect(failed).toEqual({ code: error.code, reason });
    expect(JSON.stringify(failed)).not.toMatch(/s3\.internal|bucket-x|pw|_probe/);
  });

  it('an errno given in the context must look like one (a path there is not shown)', () => {
    expect(failedCheck(new UfsError('UNAVAILABLE', secret, { context: { errno: '/srv/ufs/ufs.db' } }), 'list')).toEqual(
      {
        code: 'UNAVAILABLE',
        reason: 'list failed: unavailable',
      },
    );
  });
});
