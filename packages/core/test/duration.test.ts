import { describe, expect, it } from '@jest/globals';
import { readDuration } from '../src/index.js';

describe('readDuration', () => {
  it('reads every unit, decimals, long spellings, case and blanks', () => {
    expect(readDuration('90s')).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('90sec')).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('5min')).toEqual({ ok: true, ms: 300_000 });
    expect(readDuration(' 1.5 H ')).toEqual({ ok: true, ms: 5_400_000 });
    expect(readDuration('.5h')).toEqual({ ok: true, ms: 1_800_000 });
    expect(readDuration('7d')).toEqual({ ok: true, ms: 604_800_000 });
    expect(readDuration('2w')).toEqual({ ok: true, ms: 1_209_600_000 });
    expect(readDuration('250ms')).toEqual({ ok: true, ms: 250 });
  });

  it('takes zero only where the caller allows it (a tolerance may be none)', () => {
    expect(readDuration('0', { bare: 's', zero: true })).toEqual({ ok: true, ms: 0 });
    expect(readDuration('0ms', { zero: true })).toEqual({ ok: true, ms: 0 });
    expect(readDuration('-1s', { zero: true })).toEqual({ ok: false, problem: 'not-positive' });
  });

  it('takes a bare number only when the caller names its unit', () => {
    expect(readDuration('90')).toEqual({ ok: false, problem: 'syntax' });
    expect(readDuration('90', { bare: 's' })).toEqual({ ok: true, ms: 90_000 });
  });

  it('refuses units the caller does not allow, and words that are not units', () => {
    expect(readDuration('90s', { units: ['m', 'h'] })).toEqual({ ok: false, problem: 'syntax' });
    expect(readDuration('2h', { units: ['m', 'h'] })).toEqual({ ok: true, ms: 7_200_000 });
    for (const bad of ['', 'soon', '1x', '1 h 2', 'h', '1e3s', '1hconstructor', 'constructor', '0x10m', '1..5h'])
      expect(readDuration(bad)).toEqual({ ok: false, problem: 'syntax' });
  });

  it('says zero and negative amounts are not positive', () => {
    expect(readDuration('0m')).toEqual({ ok: false, problem: 'not-positive' });
    expect(readDuration('-5m')).toEqual({ ok: false, problem: 'not-positive' });
    expect(readDuration('- 5m')).toEqual({ ok: false, problem: 'not-positive' });
    expect(readDuration('0.0h')).toEqual({ ok: false, problem: 'not-positive' });
  });
});
