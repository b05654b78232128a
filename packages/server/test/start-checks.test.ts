// The start checks both servers (`ufs serve`, apps/api) make, on real folders and a real local content mount.
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import {
  contentLostOnRestart,
  dataDirStoreFile,
  ensureDataFolder,
  openContentMount,
  probeContentMount,
  type Refuse,
} from '../src/index.js';

const refuse: Refuse = (why, cause) => new UfsError('CONFIG_INVALID', `[ufs] X ${why}`, { cause });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-start-checks-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('dataDirStoreFile', () => {
  it('ufs.db; the metadata.sqlite of an older ufs serve when alone; both is refused', async () => {
    const data = join(dir, 'layout');
    await mkdir(data);
    expect(dataDirStoreFile(data, refuse)).toBe(join(data, 'ufs.db'));
    await writeFile(join(data, 'metadata.sqlite'), '');
    expect(dataDirStoreFile(data, refuse)).toBe(join(data, 'metadata.sqlite'));
    await writeFile(join(data, 'ufs.db'), '');
    expect(() => dataDirStoreFile(data, refuse)).toThrow(
      '[ufs] X holds two store files, "ufs.db" and "metadata.sqlite" (the name of older versions): keep the one with the records (rename it "ufs.db") and move the other away',
    );
  });

  it('a dangling ufs.db link beside metadata.sqlite is not passed over for the older file', async () => {
    const data = join(dir, 'dangling-current');
    await mkdir(data);
    await writeFile(join(data, 'metadata.sqlite'), '');
    await symlink(join(data, 'nowhere.db'), join(data, 'ufs.db'));
    expect(() => dataDirStoreFile(data, refuse)).toThrow(/holds two store files/);
  });
});

describe('contentLostOnRestart', () => {
  it('memory content with a store in a file or MongoDB is refused; with an in-memory store, and any other, not', () => {
    expect(contentLostOnRestart('memory', { sqlitePath: '/srv/ufs/ufs.db' })).toMatch(/^is a memory mount, /);
    expect(contentLostOnRestart('memory', { mongoUri: 'mongodb://db/ufs' })).toMatch(/\(in MongoDB\)/);
    expect(contentLostOnRestart('memory', { sqlitePath: ':memory:' })).toBeUndefined();
    expect(contentLostOnRestart('local', { sqlitePath: '/srv/ufs/ufs.db' })).toBeUndefined();
    expect(contentLostOnRestart('s3', { mongoUri: 'mongodb://db/ufs' })).toBeUndefined();
  });
});

describe('ensureDataFolder', () => {
  it('creates missing levels; a file, a file above, /proc, a dangling link are refused at once', async () => {
    await ensureDataFolder(join(dir, 'a', 'b', 'c'), refuse);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['c']);
    const file = join(dir, 'file');
    await writeFile(file, '');
    await expect(ensureDataFolder(file, refuse)).rejects.toThrow('[ufs] X is a file, not a folder');
    await expect(ensureDataFolder(join(file, 'below'), refuse)).rejects.toThrow(
      '[ufs] X is below a file, not a folder',
    );
    await expect(ensureDataFolder('/proc/ufs-nope/data', refuse)).rejects.toThrow(
      '[ufs] X cannot be created here (the file system of the folder above takes no new folder)',
    );
    const link = join(dir, 'dangling');
    await symlink(join(dir, 'nowhere'), link);
    await expect(ensureDataFolder(link, refuse)).rejects.toThrow(
      `[ufs] X is a dangling symbolic link (to "${join(dir, 'nowhere')}"): create its target or remove the link`,
    );
    const loop = join(dir, 'loop');
    await symlink(loop, loop);
    await expect(ensureDataFolder(join(loop, 'data'), refuse)).rejects.toThrow(
      /^\[ufs\] X is below a symbolic link that loops, /,
    );
    // A link to a folder is a folder.
    await symlink(join(dir, 'a'), join(dir, 'to-a'));
    await ensureDataFolder(join(dir, 'to-a', 'd'), refuse);
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['b', 'd']);
  });
});

describe('probeContentMount', () => {
  it('a writable mount: the test write is deleted; one that refuses writes: "cannot be written" through refuse', async () => {
    const folder = join(dir, 'content');
    const mount = await openContentMount(folder);
    try {
      await probeContentMount(mount, 'X', refuse);
      expect(await readdir(join(folder, '_tmp'))).toEqual([]);
      if (process.getuid?.() !== 0) {
        await chmod(join(folder, '_tmp'), 0o500);
        await expect(probeContentMount(mount, 'X', refuse)).rejects.toThrow(/^\[ufs\] X cannot be written: /);
        await chmod(join(folder, '_tmp'), 0o700);
      }
    } finally {
      await mount.dispose();
    }
  });
});
