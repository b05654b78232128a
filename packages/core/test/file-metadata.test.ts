import { describe, expect, it } from '@jest/globals';
import type { FileMetadataInput } from '../src/index.js';
import { fileMetadataSchema, parseFileMetadata } from '../src/dedup/file-metadata-schema.js';

const valid: FileMetadataInput = {
  filepath: '/var/log/syslog',
  hostname: 'web-01',
  ip_address: '10.0.0.5',
  sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  file_size: 3,
  file_mode: 0o100644,
  file_uid: 1000,
  file_gid: 1000,
  file_mtime: 1_700_000_000.25,
  file_atime: 1_700_000_001,
  file_ctime: 1_700_000_000,
};

describe('file metadata schema', () => {
  it('accepts a PutPlace record and applies defaults', () => {
    const result = parseFileMetadata(valid);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.is_symlink).toBe(false);
      expect(result.value.link_target).toBeNull();
    }
  });

  it('keeps symlink fields', () => {
    const parsed = fileMetadataSchema.parse({ ...valid, is_symlink: true, link_target: '/etc/hosts' });
    expect(parsed.link_target).toBe('/etc/hosts');
  });

  it.each([
    ['sha256', { sha256: 'ABC' }, 'sha256 must be 64 lowercase hex characters'],
    ['sha256', { sha256: 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD' }, 'lowercase'],
    ['file_size', { file_size: -1 }, ''],
    ['file_size', { file_size: 1.5 }, ''],
    ['file_size', { file_size: '3' }, ''],
    ['filepath', { filepath: '' }, 'filepath must not be empty'],
    ['filepath', { filepath: 'a\u0000b' }, 'NUL'],
    ['hostname', { hostname: 'h'.repeat(256) }, 'longer than 255'],
    ['file_mtime', { file_mtime: Number.POSITIVE_INFINITY }, ''],
    ['is_symlink', { is_symlink: 'yes' }, ''],
  ])('rejects a bad %s naming the field', (field, patch, message) => {
    const result = parseFileMetadata({ ...valid, ...patch });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path)).toContain(field);
      expect(result.issues.map((i) => i.message).join(' ')).toContain(message);
    }
  });

  it('names every missing field', () => {
    const result = parseFileMetadata({});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path).sort()).toEqual(
        [
          'file_atime',
          'file_ctime',
          'file_gid',
          'file_mode',
          'file_mtime',
          'file_size',
          'file_uid',
          'filepath',
          'hostname',
          'ip_address',
          'sha256',
        ].sort(),
      );
    }
  });

  it('refuses unknown fields (a typo must not drop a value), naming each', () => {
    const result = parseFileMetadata({ ...valid, is_symlnk: true, link_targt: '/etc' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toEqual([
        { path: 'is_symlnk', message: 'unknown field "is_symlnk"' },
        { path: 'link_targt', message: 'unknown field "link_targt"' },
      ]);
    }
  });

  it('rejects a non-object body', () => {
    const result = parseFileMetadata('not json');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe('(body)');
  });
});
