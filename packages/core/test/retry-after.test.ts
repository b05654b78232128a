import { describe, expect, it } from '@jest/globals';
import { httpError, parseHttpDate, parseRetryAfter } from '../src/index.js';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter (RFC 9110: delay-seconds or HTTP-date, nothing else)', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('007', now)).toBe(7_000);
    // Leniently, a decimal fraction is read as seconds too.
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('0.2', now)).toBe(200);
  });

  it('ignores what is neither (negative, signed, exponents, garbage, ISO dates): the backoff applies', () => {
    for (const value of [
      '-5',
      '-0',
      '-1.5',
      '+5',
      '1.',
      '.5',
      '5s',
      '1e3',
      'soon',
      '0x10',
      '2026-01-01T00:00:30Z',
      '-1 GMT',
    ]) {
      expect([value, parseRetryAfter(value, now)]).toEqual([value, undefined]);
    }
  });

  it('reads the three HTTP-date forms as UTC', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Thu Jan  1 00:00:05 2026', now)).toBe(5_000);
    expect(parseRetryAfter('Thu Jan 01 00:00:05 2026', now)).toBe(5_000);
  });

  it('a real HTTP-date in the past is 0', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0);
  });

  it('refuses dates that are not real or not in the grammar', () => {
    expect(parseHttpDate('Thu, 31 Feb 2026 00:00:00 GMT', now)).toBeUndefined();
    expect(parseHttpDate('Thu, 01 Jan 2026 24:00:00 GMT', now)).toBeUndefined();
    expect(parseHttpDate('Thu, 01 Jan 2026 00:00:00 UTC', now)).toBeUndefined();
    expect(parseHttpDate('Thu, 1 Jan 2026 00:00:00 GMT', now)).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
  });

  it('RFC 850 two-digit years: more than 50 years ahead is the past century', () => {
    expect(parseHttpDate('Monday, 01-Jan-75 00:00:00 GMT', now)).toBe(Date.UTC(2075, 0, 1));
    expect(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', now)).toBe(Date.UTC(1977, 0, 1));
  });

  it('httpError keeps no wait for a negative Retry-After (a 503 is retried after the backoff)', () => {
    expect(httpError(503, 'busy', { provider: '0x0' }, '-5').retryAfterMs).toBeUndefined();
    expect(httpError(503, 'busy', { provider: '0x0' }, '3').retryAfterMs).toBe(3_000);
  });
});
