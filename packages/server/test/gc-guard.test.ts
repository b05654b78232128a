// The rule that keeps gc from removing the content of another store (pure logic: counts in, refusal out).
import { describe, expect, it } from '@jest/globals';
import { orphanRefusal } from '../src/index.js';

describe('orphanRefusal', () => {
  it('an empty store never removes an orphan', () => {
    expect(orphanRefusal({ orphans: 1, objects: 1, storeHoldsContent: false })).toBe(
      'the metadata store holds no content record, yet the content mount holds 1 objects gc would remove as ' +
        'orphans: is this the store of this content (a wrong data folder, a store made anew)?',
    );
    expect(orphanRefusal({ orphans: 0, objects: 5, storeHoldsContent: false })).toBeUndefined();
  });

  it('a few orphans (crash leftovers) go; more than 10 and more than 10 % of the objects need force', () => {
    expect(orphanRefusal({ orphans: 10, objects: 10, storeHoldsContent: true })).toBeUndefined();
    expect(orphanRefusal({ orphans: 11, objects: 110, storeHoldsContent: true })).toBeUndefined();
    expect(orphanRefusal({ orphans: 12, objects: 110, storeHoldsContent: true })).toBe(
      '12 of the 110 objects of the content mount (11 %) have no record in the metadata store (more than 10 % are ' +
        'never removed without force): is this the store of this content (a store restored from an old backup, a ' +
        'store of another server)?',
    );
  });
});
