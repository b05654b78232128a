// compactVersions({ keep: null }) deleted all but one version (`options.keep ?? 1` read null as the default): only
// an absent keep means the default of 1; null and every other non-number are INVALID_INPUT, and nothing is deleted.
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
