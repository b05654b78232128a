// The README's examples, run as written.
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  contentKey,
  hashFile,
  HashingStream,
  httpError,
  joinKey,
  normalizeKey,
  readDuration,
  redactUrl,
  retry,
  toUfsError,
  UfsError,
} from '../src/index.js';
import { parseFileMetadata } from '../src/dedup/file-metadata-schema.js';

describe('README examples', () => {
  it('durations', () => {
    expect(readDuration('1.5h')).toEqual({ ok: true, ms: 5_400_000 });
    expect(readDuration('90', { bare: 's' })).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('90s', { units: ['m', 'h', 'd', 'w'] })).toEqual({ ok: false, problem: 'syntax' });
    expect(readDuration('-5m')).toEqual({ ok: false, problem: 'not-positive' });
  });

  it('errors', () => {
    const err = httpError(429, 'slow down', { provider: 'catbox', operation: 'upload' }, '7');
    expect([err.code, err.retryable, err.retryAfterMs, err.message]).toEqual([
      'RATE_LIMITED',
      true,
      7000,
      '[ufs] [catbox] upload: HTTP 429: slow down',
    ]);
    expect(toUfsError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).code).toBe('UNAVAILABLE');
    expect(redactUrl('mongodb://bob:s3cret@db:27017/ufs')).toBe('mongodb://db:27017/ufs');
  });

  it('keys', () => {
    expect(normalizeKey('/photos/2024/')).toBe('photos/2024');
    expect(joinKey('photos', '2024', 'a.jpg')).toBe('photos/2024/a.jpg');
    expect(() => normalizeKey('photos/%2e%2e/secret')).toThrow(UfsError);
  });

  it('hashing and content addresses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-readme-'));
    try {
      await writeFile(join(dir, 'big.iso'), 'abc');
      const { digest } = await hashFile(join(dir, 'big.iso'));
      expect(contentKey(digest)).toBe(`ba/${digest}`);
      expect(new HashingStream(['sha256', 'md5'])).toBeInstanceOf(HashingStream);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retry', async () => {
    let calls = 0;
    const download = async (_signal?: AbortSignal) => {
      if (++calls < 2) throw new UfsError('UNAVAILABLE', 'flaky');
      return 'body';
    };
    const body = await retry(async ({ signal }) => download(signal), {
      maxAttempts: 5,
      baseDelayMs: 1,
      deadlineMs: 60_000,
      signal: AbortSignal.timeout(120_000),
    });
    expect(body).toBe('body');
  });

  it('file metadata', () => {
    const result = parseFileMetadata({ sha256: 'nope' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toContainEqual({ path: 'sha256', message: 'sha256 must be 64 lowercase hex characters' });
    }
  });
});
