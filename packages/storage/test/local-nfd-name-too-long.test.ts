// A key whose NFC name fits the 255 bytes a name may have but whose NFD form does not (`é` × 100: 200 bytes in NFC,
// 300 in NFD). The local backend tries the NFD spelling of a missing name (a file from a Mac): that spelling cannot
// exist, so it is absent, never a failure of the whole operation (ENAMETOOLONG).
import { readdir, realpath } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

const LONG = '\u00e9'.repeat(100);

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-nfd-long-');
  root = await realpath(dir.path);
  storage = new StorageManager();
  await storage.configure([{ name: 'disk', protocol: 'local', root }]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('local: a name whose NFD form is longer than a name may be', () => {
  it('a stat of it missing is NOT_FOUND (the backend: null), a read NOT_FOUND', async () => {
    await rejectsWith(storage.node(`disk:${LONG}`).stat(), 'NOT_FOUND');
    expect(await storage.node('disk:').backend.stat(LONG)).toBeNull();
    expect(await storage.node('disk:').backend.stat(`${LONG}/below.txt`)).toBeNull();
    expect(await storage.node(`disk:${LONG}`).exists()).toBe(false);
    await rejectsWith(storage.node(`disk:${LONG}`).readText(), 'NOT_FOUND');
  });

  it('is written, stat-ed, read and deleted', async () => {
    await storage.node(`disk:${LONG}`).writeText('hi');
    expect((await storage.node(`disk:${LONG}`).stat())?.size).toBe(2);
    expect(await storage.node(`disk:${LONG}`).readText()).toBe('hi');
    expect(await readdir(root)).toEqual([LONG]);
    await storage.node(`disk:${LONG}`).delete();
    expect(await readdir(root)).toEqual([]);
  });

  it('is made as a folder, and written below', async () => {
    await storage.node(`disk:${LONG}`).mkdir();
    await storage.node(`disk:${LONG}/${LONG}.txt`).writeText('deep');
    expect(await storage.node(`disk:${LONG}/${LONG}.txt`).readText()).toBe('deep');
    expect(await readdir(root, { recursive: true })).toEqual([LONG, `${LONG}/${LONG}.txt`]);
  });
});
