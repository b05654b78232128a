// `rm -r` (a recursive delete) of a local folder holding several names that are not valid UTF-8 named only the first:
// everything else is removed, and the error lists every such name (its path below the folder, bytes escaped), so that
// a user can rename them all in one go; beyond 20 the rest are counted. Emptying the mount root does the same.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

const bad = (text: string, byte: number) => Buffer.concat([Buffer.from(text), Buffer.from([byte])]);

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
beforeEach(async () => {
  dir = await tempDir('ufs-rm-utf8-');
  storage = new StorageManager();
  await storage.configure([{ name: 'disk', protocol: 'local', root: dir.path }]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

async function badFile(folder: string, name: Buffer): Promise<void> {
  await writeFile(Buffer.concat([Buffer.from(`${folder}/`), name]), 'x');
}

describe('a recursive delete meeting several names that are not valid UTF-8', () => {
  it('removes everything else and names every one of them', async () => {
    const top = join(dir.path, 'top');
    await mkdir(join(top, 'sub', 'deeper'), { recursive: true });
    await writeFile(join(top, 'ok.txt'), 'y');
    await writeFile(join(top, 'sub', 'deeper', 'fine.txt'), 'z');
    await badFile(top, bad('a', 0xff));
    await badFile(top, bad('b', 0xfe));
    await badFile(join(top, 'sub'), bad('c', 0xfd));
    const error = await rejectsWith(storage.node('disk:top').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.message).toContain('the name "a\\xff" is not valid UTF-8');
    expect(error.message).toContain(
      '2 more names below "top" are not valid UTF-8 either: "b\\xfe", sub/"c\\xfd" (everything else was removed)',
    );
    expect(existsSync(join(top, 'ok.txt'))).toBe(false);
    expect(existsSync(join(top, 'sub', 'deeper'))).toBe(false);
  });

  it('lists 20 more at most, and counts the rest', async () => {
    const top = join(dir.path, 'many');
    await mkdir(top);
    for (let i = 0; i < 25; i++) await badFile(top, bad(`n${String(i).padStart(2, '0')}`, 0xff));
    const error = await rejectsWith(storage.node('disk:many').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.message).toContain('the name "n00\\xff" is not valid UTF-8');
    expect(error.message).toContain('24 more names below "many" are not valid UTF-8 either: "n01\\xff", ');
    expect(error.message).toContain('"n20\\xff", and 4 more (everything else was removed)');
    expect(error.message).not.toContain('n21');
  });

  it('emptying the mount root names every one of them too, and removes everything else', async () => {
    await mkdir(join(dir.path, 'sub', 'deeper'), { recursive: true });
    await writeFile(join(dir.path, 'ok.txt'), 'y');
    await writeFile(join(dir.path, 'sub', 'deeper', 'fine.txt'), 'z');
    await badFile(dir.path, bad('a', 0xff));
    await badFile(dir.path, bad('b', 0xfe));
    await badFile(join(dir.path, 'sub'), bad('c', 0xfd));
    await badFile(join(dir.path, 'sub', 'deeper'), bad('d', 0xfc));
    const error = await rejectsWith(storage.node('disk:').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.message).toContain('the name "a\\xff" is not valid UTF-8');
    expect(error.message).toContain(
      '3 more names below the mount root are not valid UTF-8 either: "b\\xfe", sub/"c\\xfd", sub/deeper/"d\\xfc"' +
        ' (everything else was removed)',
    );
    expect(existsSync(join(dir.path, 'ok.txt'))).toBe(false);
    expect(existsSync(join(dir.path, 'sub', 'deeper', 'fine.txt'))).toBe(false);
  });

  it('one such name is named alone, as before', async () => {
    const top = join(dir.path, 'one');
    await mkdir(top);
    await badFile(top, bad('x', 0xff));
    const error = await rejectsWith(storage.node('disk:one').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.message).toContain('the name "x\\xff" is not valid UTF-8');
    expect(error.message).not.toContain('more name');
  });
});
