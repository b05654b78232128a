// Which side of a local copy or rename refused, and a recursive delete of a mount's root that meets an entry it
// cannot remove. Real refusals: another device (/dev/shm is tmpfs, the temporary folder is not), an immutable file
// (chattr +i, for root, who may remove anything else) or a folder without write permission (for other users).
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { LocalBackend, StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let real: string;

beforeEach(async () => {
  dir = await tempDir('ufs-local-refusals-');
  real = await realpath(dir.path);
});
afterEach(() => dir.cleanup());

describe('a copy or rename names the side that refused', () => {
  it('a rename to another file system is UNSUPPORTED naming both (a move then copies and deletes)', async () => {
    const shm = await mkdtemp('/dev/shm/ufs-local-refusals-');
    try {
      expect((await stat(shm)).dev).not.toBe((await stat(real)).dev);
      await writeFile(join(real, 'a.txt'), 'a');
      const slash = new LocalBackend({ root: '/', mountName: 'slash' });
      const error = await rejectsWith(slash.rename(`${real.slice(1)}/a.txt`, `${shm.slice(1)}/a.txt`), 'UNSUPPORTED');
      expect(error.message).toBe(
        `[ufs] [local] rename "slash:${real.slice(1)}/a.txt": is on another file system than "${shm.slice(1)}/a.txt": it cannot be renamed there`,
      );
      expect(error.context).toMatchObject({ operation: 'rename', path: `slash:${real.slice(1)}/a.txt` });
      expect(await readdir(real)).toEqual(['a.txt']);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it('a folder where the file would go is refused by the destination', async () => {
    const disk = new LocalBackend({ root: real, mountName: 'disk' });
    await disk.write('a.txt', Readable.from([Buffer.from('a')]));
    await disk.mkdir('dir/inside', { parents: true });
    for (const op of [disk.copy.bind(disk), disk.rename.bind(disk)]) {
      const onto = await rejectsWith(op('a.txt', 'dir'), 'INVALID_INPUT');
      expect(onto.message).toBe('[ufs] [local] write "disk:dir": is a folder, not a file');
    }
    expect(await readdir(join(real, 'dir'))).toEqual(['inside']);
  });
});

describe('deleting everything in the mount root', () => {
  const asRoot = process.getuid?.() === 0;
  let locked: string;
  beforeEach(async () => {
    locked = join(real, 'root', 'locked');
    for (let i = 0; i < 20; i++) {
      await mkdir(join(real, 'root', `c${String(i).padStart(2, '0')}`), { recursive: true });
      await writeFile(join(real, 'root', `c${String(i).padStart(2, '0')}`, 'f.txt'), 'f');
    }
    await mkdir(locked, { recursive: true });
    await writeFile(join(locked, 'inner.txt'), 'kept');
    await writeFile(join(real, 'root', 'z.txt'), 'z');
    if (asRoot) execFileSync('chattr', ['+i', join(locked, 'inner.txt')]);
    else await chmod(locked, 0o555);
  });
  afterEach(async () => {
    if (asRoot) execFileSync('chattr', ['-i', join(locked, 'inner.txt')]);
    else await chmod(locked, 0o755);
  });

  it('goes on past an entry it cannot remove, and then names it', async () => {
    const disk = new LocalBackend({ root: join(real, 'root'), mountName: 'disk' });
    // The code is Node's (`rm` reports an immutable file as ENOTDIR after trying it as a folder; EACCES otherwise).
    const error = await disk.delete('', { recursive: true }).then(
      () => undefined,
      (e: UfsError) => e,
    );
    expect(error).toBeInstanceOf(UfsError);
    expect(error!.message).toMatch(/^\[ufs\] \[local\] delete "disk:locked\/inner\.txt": /);
    expect(await readdir(join(real, 'root'))).toEqual(['locked']);
    expect(await readdir(locked)).toEqual(['inner.txt']);
  });
});

describe('a move across file systems under one local mount (`/tmp` and `/dev/shm` below `/`)', () => {
  it('copies and deletes, as mv does: a file, and a tree with its empty folders', async () => {
    const shm = await mkdtemp('/dev/shm/ufs-local-move-');
    const storage = new StorageManager();
    try {
      await storage.configure([{ name: 'slash', protocol: 'local', root: '/' }]);
      const at = (path: string) => storage.node(`slash:${path.slice(1)}`);
      await writeFile(join(real, 'a.txt'), 'alpha');
      await mkdir(join(real, 'tree', 'deep'), { recursive: true });
      await mkdir(join(real, 'tree', 'empty'));
      await writeFile(join(real, 'tree', 'deep', 'b.txt'), 'bravo');

      const file = await at(join(real, 'a.txt')).moveTo(at(join(shm, 'a.txt')));
      expect(file).toMatchObject({ files: 1, errors: [] });
      expect(await readFile(join(shm, 'a.txt'), 'utf8')).toBe('alpha');
      const tree = await at(join(real, 'tree')).moveTo(at(join(shm, 'tree')));
      expect(tree).toMatchObject({ files: 1, errors: [] });
      expect(await readFile(join(shm, 'tree', 'deep', 'b.txt'), 'utf8')).toBe('bravo');
      expect((await stat(join(shm, 'tree', 'empty'))).isDirectory()).toBe(true);
      expect(await readdir(real)).toEqual([]);
    } finally {
      await storage.dispose();
      await rm(shm, { recursive: true, force: true });
    }
  });
});
