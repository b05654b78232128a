import { describe, expect, it } from '@jest/globals';
import { emptyStats, progressText } from '../src/scan/stats.js';

describe('the scan progress line', () => {
  const stats = { ...emptyStats(), files: 3, bytes: 3 * 1024 ** 3, hashed: 3, hashedBytes: 3 * 1024 ** 3, sent: 3 };

  it('counts files, hashing and what reached the server', () => {
    expect(progressText(stats, false)).toBe(
      'scan: 3 files (3.0 GiB) | hashed 3 (3.0 GiB), cached 0 | sent 3, unchanged 0 | uploaded 0 (0 bytes)',
    );
    expect(progressText(stats, true)).toBe('scan: 3 files (3.0 GiB) | hashed 3 (3.0 GiB), cached 0');
  });

  it('shows the bytes of the largest upload in flight, and how many others run', () => {
    const uploading = new Map([
      ['/data/small.bin', { loaded: 10, total: 100 }],
      ['/data/big.iso', { loaded: 512 * 1024 ** 2, total: 2 * 1024 ** 3 }],
      ['/data/mid.bin', { loaded: 0, total: 1024 ** 2 }],
    ]);
    expect(progressText(stats, false, uploading)).toMatch(
      /^scan: 3 files \(3\.0 GiB\) \| uploading big\.iso 512 MiB\/2\.0 GiB \(\+2 more\) \| hashed 3/,
    );
    expect(progressText(stats, false, new Map([['/data/one.bin', { loaded: 2048, total: 4096 }]]))).toMatch(
      /^scan: 3 files \(3\.0 GiB\) \| uploading one\.bin 2\.0 KiB\/4\.0 KiB \| hashed/,
    );
  });
});
