import { describe, expect, it } from '@jest/globals';
import { EXIT_CODE_BY_CODE, UfsError, exitCodeOf, httpError, isRemoteRefusal } from '../src/index.js';

const report = (fields: Record<string, unknown>) => ({ provider: '0x0', outcome: 'failed', attempts: 1, ...fields });

describe('exitCodeOf: a hosting service refusing is not the user usage error', () => {
  it('a provider answering 400 or 404 exits 76 (EX_PROTOCOL), not 64 or 66', () => {
    expect(exitCodeOf(httpError(400, 'bad', { provider: '0x0', operation: 'upload' }))).toBe(76);
    expect(exitCodeOf(httpError(404, 'nope', { provider: '0x0', operation: 'verify' }))).toBe(76);
    expect(exitCodeOf(httpError(410, 'gone', { provider: '0x0', operation: 'verify' }))).toBe(76);
  });

  it('the upload error listing the providers: 76 when every failed provider was refused by its answer', () => {
    const failed = new UfsError('INVALID_INPUT', 'upload "a.txt": the provider failed', {
      context: { operation: 'upload', path: 'a.txt', failures: [report({ code: 'INVALID_INPUT', status: 400 })] },
    });
    expect(isRemoteRefusal(failed)).toBe(true);
    expect(exitCodeOf(failed)).toBe(76);
    const withSkip = new UfsError('NOT_FOUND', 'x', {
      context: {
        failures: [report({ code: 'NOT_FOUND', status: 404 }), { provider: 'catbox', outcome: 'skipped', attempts: 0 }],
      },
    });
    expect(exitCodeOf(withSkip)).toBe(76);
  });

  it('a check made here (no HTTP status) stays the user error', () => {
    // A provider refusing a bad option before sending anything.
    expect(exitCodeOf(new UfsError('INVALID_INPUT', 'bad key', { context: { provider: 's3' } }))).toBe(64);
    const mixed = new UfsError('INVALID_INPUT', 'x', {
      context: { failures: [report({ status: 400 }), report({ provider: 's3' })] },
    });
    expect(exitCodeOf(mixed)).toBe(64);
    expect(exitCodeOf(new UfsError('INVALID_INPUT', 'x', { context: { failures: [] } }))).toBe(64);
  });

  it('a storage backend 404 (the user argument is missing) stays 66', () => {
    expect(exitCodeOf(httpError(404, 'no such key', { backend: 's3', operation: 'read', path: 'missing' }))).toBe(66);
    expect(exitCodeOf(new UfsError('NOT_FOUND', 'missing.txt: no such file'))).toBe(66);
  });

  it('other codes keep their status, remote or not', () => {
    expect(exitCodeOf(httpError(403, 'no', { provider: '0x0' }))).toBe(EXIT_CODE_BY_CODE.PERMISSION_DENIED);
    expect(exitCodeOf(httpError(413, 'big', { provider: '0x0' }))).toBe(65);
    expect(exitCodeOf(httpError(503, 'busy', { provider: '0x0' }))).toBe(69);
  });
});
