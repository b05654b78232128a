// Refusals of a version id, a date or a declared size name the value given and its type: never "undefined undefined"
// or "[object Object]", and a size given as the string "2" is not shown as if it were the number 2.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { describedValue } from '../src/util/described-value.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager({ env: {} });
  await storage.configure([
    { name: 'mem', protocol: 'memory', versioning: true },
    { name: 'loc', protocol: 'local', root: dir.path },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const ids: [unknown, string][] = [
  ['', 'an empty one'],
  [0, 'the number 0'],
  [null, 'null'],
  [undefined, 'undefined'],
  [{}, 'an object'],
  [[], 'an array'],
  [true, 'the boolean true'],
];

describe.each(['mem', 'loc'])('version ids on %s', (mount) => {
  it.each(ids)('%p is refused naming it', async (id, named) => {
    const file = storage.node(`${mount}:v/f.txt`);
    await file.writeText('one');
    const expected = `the version id must be a non-empty string, not ${named}`;
    let atVersion: unknown;
    try {
      file.atVersion(id as never);
    } catch (err) {
      atVersion = err;
    }
    expect(atVersion).toMatchObject({ code: 'INVALID_INPUT' });
    expect((atVersion as Error).message).toBe(
      `[ufs] [${mount === 'mem' ? 'memory' : 'local'}] atVersion "${mount}:v/f.txt": ${expected}`,
    );
    const deleted = await rejectsWith(file.deleteVersion(id as never), 'INVALID_INPUT');
    expect(deleted.message).toContain(expected);
    for (const message of [(atVersion as Error).message, deleted.message]) {
      expect(message).not.toMatch(/undefined undefined|\[object Object\]/);
    }
    expect(await file.readText()).toBe('one');
  });
});

describe('a declared size', () => {
  it.each([
    ['2', 'the string "2"'],
    [-1, 'the number -1'],
    [1.5, 'the number 1.5'],
    [null, 'null'],
    [{}, 'an object'],
  ] as [unknown, string][])('%p is refused naming its type', async (size, named) => {
    for (const mount of ['mem', 'loc']) {
      const error = await rejectsWith(
        storage.node(`${mount}:s.txt`).write(Buffer.from('ab'), { size: size as never }),
        'INVALID_INPUT',
      );
      expect(error.message).toContain(`size must be a whole number ≥ 0, got ${named}`);
      expect(await storage.node(`${mount}:s.txt`).exists()).toBe(false);
    }
  });
});

describe('dates and keep', () => {
  it('a date given as a string or missing is named', async () => {
    const file = storage.node('mem:d.txt');
    await file.writeText('x');
    const text = await rejectsWith(file.asOf('2024-01-01' as never), 'INVALID_INPUT');
    expect(text.message).toContain('the date must be a valid Date, not the string "2024-01-01"');
    const missing = await rejectsWith(file.asOf(undefined as never), 'INVALID_INPUT');
    expect(missing.message).toContain('the date must be a valid Date, not undefined');
    const keep = await rejectsWith(file.compactVersions({ keep: '3' as never }), 'INVALID_INPUT');
    expect(keep.message).toContain('keep must be a number, not the string "3"');
  });
});

describe('describedValue', () => {
  it('names each kind of value', () => {
    expect(
      [undefined, null, '', 'x', 0, Number.NaN, 2n, false, Symbol('s'), () => 1, [], {}].map(describedValue),
    ).toEqual([
      'undefined',
      'null',
      'an empty string',
      'the string "x"',
      'the number 0',
      'the number NaN',
      'the bigint 2n',
      'the boolean false',
      'a symbol',
      'a function',
      'an array',
      'an object',
    ]);
    expect(describedValue(new Date('x'))).toBe('an invalid date');
    expect(describedValue(new Date(0))).toBe('the date 1970-01-01T00:00:00.000Z');
  });
});
