import { describe, expect, it } from '@jest/globals';
import { hashStream } from '@org/core';
import { generated, generatedDigest, readAll } from '../src/context.js';

describe('contract helpers', () => {
  it('generates deterministic streams of the exact size', async () => {
    const a = await readAll(generated(3 * 1024 * 1024 + 5, 3));
    const b = await readAll(generated(3 * 1024 * 1024 + 5, 3));
    const other = await readAll(generated(3 * 1024 * 1024 + 5, 4));
    expect(a.length).toBe(3 * 1024 * 1024 + 5);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(other)).toBe(false);
    expect((await hashStream(generated(1000, 3))).digest).toBe(await generatedDigest(1000, 3));
  });

  it('generates an empty stream for size 0', async () => {
    expect((await readAll(generated(0))).length).toBe(0);
  });
});
