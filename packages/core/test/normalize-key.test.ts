import { describe, expect, it } from '@jest/globals';
import { baseName, isWithin, joinKey, normalizeKey, parentKey, UfsError } from '../src/index.js';
import { ACCEPTED_PATHS, HOSTILE_PATHS } from '../src/testing/index.js';

describe('normalizeKey', () => {
  it('has a corpus of at least 50 hostile paths', () => {
    expect(HOSTILE_PATHS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(HOSTILE_PATHS.map((p) => [JSON.stringify(p).slice(0, 60), p]))('rejects %s', (_label, path) => {
    let thrown: unknown;
    try {
      normalizeKey(path);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UfsError);
    expect((thrown as UfsError).code).toBe('INVALID_INPUT');
    expect((thrown as UfsError).message).toMatch(/^\[ufs\] invalid path /);
  });

  it.each(ACCEPTED_PATHS.map(([i, c]) => [JSON.stringify(i), i, c]))('accepts %s', (_label, input, canonical) => {
    expect(normalizeKey(input)).toBe(canonical);
  });

  it('is idempotent on accepted paths', () => {
    for (const [input] of ACCEPTED_PATHS) {
      const once = normalizeKey(input);
      expect(normalizeKey(once)).toBe(once);
    }
  });

  it('refuses the root when asked to', () => {
    expect(() => normalizeKey('/', { allowRoot: false })).toThrow(/a path is required/);
  });

  it('refuses non-strings with a clear error', () => {
    expect(() => normalizeKey(42 as unknown as string)).toThrow(/must be a string/);
  });

  it('names the reason in the message', () => {
    expect(() => normalizeKey('a/../b')).toThrow('".." segments are not allowed');
    expect(() => normalizeKey('a//b')).toThrow('empty path segment');
    expect(() => normalizeKey('a\\b')).toThrow('backslashes');
  });
});

describe('key helpers', () => {
  it('joins checked parts and never climbs out', () => {
    expect(joinKey('a/b', 'c', '/d/')).toBe('a/b/c/d');
    expect(joinKey('', '')).toBe('');
    for (const hostile of HOSTILE_PATHS) expect(() => joinKey('safe', hostile)).toThrow(UfsError);
  });

  it('gives parents and base names', () => {
    expect(parentKey('a/b/c')).toBe('a/b');
    expect(parentKey('a')).toBe('');
    expect(parentKey('')).toBe('');
    expect(baseName('a/b/c.txt')).toBe('c.txt');
    expect(baseName('c')).toBe('c');
  });

  it('knows what lies within a folder', () => {
    expect(isWithin('a', 'a/b')).toBe(true);
    expect(isWithin('a', 'a')).toBe(true);
    expect(isWithin('a', 'ab')).toBe(false);
    expect(isWithin('', 'anything')).toBe(true);
  });
});
