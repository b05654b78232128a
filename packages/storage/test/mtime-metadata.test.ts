// The `mtime` user metadata entry object stores keep a modification time in (pure logic: formatting and parsing).
import { describe, expect, it } from '@jest/globals';
import { mtimeIn, parseMtime, withMtime, withoutMtime } from '../src/util/mtime-metadata.js';

describe('mtime metadata', () => {
  it('writes RFC 3339 with milliseconds, beside the user metadata, which it does not change', () => {
    const user = { owner: 'ann' };
    expect(withMtime(user, new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 123)))).toEqual({
      owner: 'ann',
      mtime: '2024-05-01T12:00:00.123Z',
    });
    expect(user).toEqual({ owner: 'ann' });
    expect(withMtime(user, undefined)).toBe(user);
    expect(withMtime(undefined, new Date(0))).toEqual({ mtime: '1970-01-01T00:00:00.000Z' });
  });

  it("reads RFC 3339 and rclone's unix seconds; nothing from what is neither", () => {
    expect(parseMtime('2024-05-01T12:00:00.123Z')?.getTime()).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseMtime('2024-05-01T14:00:00.5+02:00')?.getTime()).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 500));
    expect(parseMtime('1714564800.123456789')?.getTime()).toBe(1714564800123);
    expect(parseMtime('1714564800')?.getTime()).toBe(1714564800000);
    for (const bad of ['', 'yesterday', '12:00', undefined]) expect(parseMtime(bad)).toBeUndefined();
  });

  it('finds and hides the entry whatever the case of its name (S3 and Azure lower-case names)', () => {
    const stored = { MTime: '2020-01-01T00:00:00.000Z', owner: 'ann' };
    expect(mtimeIn(stored)?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(withoutMtime(stored)).toEqual({ owner: 'ann' });
    expect(mtimeIn({ owner: 'ann' })).toBeUndefined();
    expect(withoutMtime(undefined)).toEqual({});
  });
});
