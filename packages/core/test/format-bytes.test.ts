import { describe, expect, it } from '@jest/globals';
import { formatBytes } from '../src/index.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [5 * 1024 ** 2 + 300 * 1024, '5.3 MiB'],
    [1024 ** 3, '1.0 GiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
    [2048 * 1024 ** 4, '2048 TiB'],
  ])('%d bytes read as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
