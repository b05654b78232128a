// compactVersions({ keep }): keep is a whole number of versions, 1 or more. 0, negative and fractional counts were
// taken as 1 (and deleted versions); they are refused with INVALID_INPUT naming keep, and nothing is deleted. So are
// null and every other non-number (`options.keep ?? 1` read null as the default): only an absent keep means 1.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith } from './helpers.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

let storage: StorageManager;
beforeEach(async () => {
  storage = new StorageManager();
  await storage.configure([{ name: 'v', url: 'memory://?versioning=true' }]);
});
afterEach(() => storage.dispose());

async function threeVersions(name: string) {
  const doc = storage.node(`v:${name}`);
  for (const text of ['one', 'two', 'three']) {
    await doc.writeText(text);
    await tick();
  }
  expect(await doc.versions()).toHaveLength(3);
  return doc;
}

describe('compactVersions keep', () => {
  it.each([
    [0, 'the number 0'],
    [-1, 'the number -1'],
    [0.5, 'the number 0.5'],
    [2.5, 'the number 2.5'],
    [Number.NaN, 'the number NaN'],
    [Number.POSITIVE_INFINITY, 'the number Infinity'],
  ])('keep: %p is refused, and no version is deleted', async (keep, named) => {
    const doc = await threeVersions(`k${keep}.txt`);
    const err = await rejectsWith(doc.compactVersions({ keep }), 'INVALID_INPUT');
    expect(err.message).toBe(
      `[ufs] [memory] compactVersions "${doc.fullpath}": keep must be a whole number of versions, 1 or more ` +
        `(the current version is always kept), not ${named}`,
    );
    expect(await doc.versions()).toHaveLength(3);
    expect(await doc.readText()).toBe('three');
  });

  it('whole numbers of 1 or more keep that many; the default is 1', async () => {
    const doc = await threeVersions('ok.txt');
    expect(await doc.compactVersions({ keep: 3 })).toBe(0);
    expect(await doc.compactVersions({ keep: 2 })).toBe(1);
    expect(await doc.compactVersions()).toBe(1);
    expect((await doc.versions()).length).toBe(1);
    expect(await doc.readText()).toBe('three');
    const other = await threeVersions('many.txt');
    expect(await other.compactVersions({ keep: 1e9 })).toBe(0);
  });
});

describe('compactVersions keep that is not a number', () => {
  it.each([
    ['null', null, 'null'],
    ['a string', '2', 'keep must be a number'],
    ['a boolean', true, 'keep must be a number'],
    ['an object', {}, 'keep must be a number'],
  ])('keep: %s is refused, and no version is deleted', async (_what, keep, named) => {
    const doc = await threeVersions(`k-${typeof keep}.txt`);
    const err = await rejectsWith(doc.compactVersions({ keep: keep as unknown as number }), 'INVALID_INPUT');
    expect(err.message).toContain(`compactVersions "${doc.fullpath}": keep must be a number, not `);
    expect(err.message).toContain(named);
    expect(await doc.versions()).toHaveLength(3);
    expect(await doc.readText()).toBe('three');
  });

  it('an absent keep (undefined, or no options) still means 1', async () => {
    const doc = await threeVersions('absent.txt');
    expect(await doc.compactVersions({ keep: undefined })).toBe(2);
    expect(await doc.versions()).toHaveLength(1);
    const other = await threeVersions('none.txt');
    expect(await other.compactVersions({})).toBe(2);
  });
});
