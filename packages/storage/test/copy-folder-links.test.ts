// A symbolic link to a folder inside a copied or moved tree is never followed, and never skipped in silence: it is a
// failure of its own (UNSUPPORTED, naming it), so a move never reports success while leaving it behind, and never
// deletes it. Links to files are copied as before. Real folders and links on disk.
import { mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir, tree } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const disk = (...parts: string[]) => join(dir.path, ...parts);

beforeEach(async () => {
  dir = await tempDir('ufs-folder-links-');
  await mkdir(disk('b', 'g', 'dir'), { recursive: true });
  await mkdir(disk('c'), { recursive: true });
  await writeFile(disk('b', 'g', 'dir', 'x.txt'), 'x');
  await symlink('dir', disk('b', 'g', 'dl'));
  storage = new StorageManager();
  await storage.configure([
    { name: 'b', protocol: 'local', root: disk('b') },
    { name: 'c', protocol: 'local', root: disk('c') },
    { name: 'mem', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe.each([['c'], ['mem']])('a link to a folder, to %s', (to) => {
  it('a move reports it (UNSUPPORTED, named) and leaves it where it is', async () => {
    const reported: string[] = [];
    const summary = await moveNode(storage.node('b:g'), storage.node(`${to}:moved`), {
      onError: (e) => reported.push(e.path),
    });
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => [e.path, e.dest, e.error.code])).toEqual([
      ['b:g/dl', `${to}:moved/dl`, 'UNSUPPORTED'],
    ]);
    expect(summary.errors[0]!.error.message).toBe(
      `[ufs] move "b:g/dl" → "${to}:moved/dl": is a symbolic link to a folder, not followed; it stays where it is`,
    );
    expect(reported).toEqual(['b:g/dl']);
    // The link itself is never deleted; the folder it pointed to moved as a folder of the tree.
    expect(await readlink(disk('b', 'g', 'dl'))).toBe('dir');
    expect(await storage.node(`${to}:moved/dir/x.txt`).readText()).toBe('x');
    expect(await storage.node(`${to}:moved/dl`).exists()).toBe(false);
  });

  it('deeper in the tree too, and a copy reports it the same way', async () => {
    await mkdir(disk('b', 'g2', 'sub', 'real'), { recursive: true });
    await writeFile(disk('b', 'g2', 'sub', 'real', 'y.txt'), 'y');
    await symlink('real', disk('b', 'g2', 'sub', 'dl'));
    const copied = await copyNode(storage.node('b:g2'), storage.node(`${to}:copy`));
    expect(copied.files).toBe(1);
    expect(copied.errors.map((e) => [e.path, e.error.code])).toEqual([['b:g2/sub/dl', 'UNSUPPORTED']]);
    expect(copied.errors[0]!.error.message).toMatch(/^\[ufs\] copy "b:g2\/sub\/dl" → .*not followed$/);
    const moved = await moveNode(storage.node('b:g2'), storage.node(`${to}:moved`));
    expect(moved.errors.map((e) => [e.path, e.error.code])).toEqual([['b:g2/sub/dl', 'UNSUPPORTED']]);
    expect(await tree(disk('b', 'g2'))).toEqual(['sub', 'sub/dl']);
    expect(await readlink(disk('b', 'g2', 'sub', 'dl'))).toBe('real');
  });
});

describe('what does not change', () => {
  it('a link to a file is copied as the file, with no failure', async () => {
    await symlink('dir/x.txt', disk('b', 'g', 'fl.txt'));
    const summary = await copyNode(storage.node('b:g'), storage.node('c:copy'), { exclude: 'dl' });
    expect(summary).toMatchObject({ files: 2, errors: [] });
    expect(await readFile(disk('c', 'copy', 'fl.txt'), 'utf8')).toBe('x');
    expect((await readdir(disk('c', 'copy'))).sort()).toEqual(['dir', 'fl.txt']);
  });

  it.each([['dl'], ['dl/'], ['/dl'], ['g/**']])('a link excluded by "%s" is left out silently', async (exclude) => {
    const source = exclude === 'g/**' ? storage.node('b:') : storage.node('b:g');
    const summary = await copyNode(source, storage.node('c:copy'), { exclude });
    expect(summary.errors).toEqual([]);
  });

  it('failFast stops at it', async () => {
    await expect(copyNode(storage.node('b:g'), storage.node('c:copy'), { failFast: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      context: { path: 'b:g/dl' },
    });
  });
});
