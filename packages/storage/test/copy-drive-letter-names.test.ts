// A name that starts like a Windows drive letter (`c:x.txt`) is a legal file name below a folder (Linux, object
// stores), so a tree holding one is copied and moved whole (its destination key is checked whole, as listed keys
// are; `child('c:x.txt')` of caller input stays refused, see traversal.test.ts). A key of the mount root that starts
// with one stays refused, and then that file alone fails (reported with its path) while the rest of the tree goes on.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const src = (...parts: string[]) => join(dir.path, 'src', ...parts);
const dst = (...parts: string[]) => join(dir.path, 'dst', ...parts);

beforeEach(async () => {
  dir = await tempDir('ufs-drive-names-');
  await mkdir(src('tc'), { recursive: true });
  await mkdir(dst(), { recursive: true });
  for (const name of ['0first.txt', 'c:x.txt', 'zlast.txt']) await writeFile(src('tc', name), name);
  storage = new StorageManager();
  await storage.configure([
    { name: 'src', protocol: 'local', root: src() },
    { name: 'loc', protocol: 'local', root: dst() },
    { name: 'mem', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('a name like "c:x.txt" below a folder', () => {
  it('is a legal key below a folder; a root key starting with a drive letter is still refused', () => {
    expect(storage.node('loc:tc/c:x.txt').path).toBe('tc/c:x.txt');
    throwsWith(() => storage.node('loc:c:x.txt'), 'INVALID_INPUT');
  });

  it('is copied with the rest of the tree', async () => {
    const summary = await copyNode(storage.node('src:tc'), storage.node('loc:tc'));
    expect(summary).toMatchObject({ files: 3, errors: [] });
    expect(await readFile(dst('tc', 'c:x.txt'), 'utf8')).toBe('c:x.txt');
    expect(await readFile(dst('tc', 'zlast.txt'), 'utf8')).toBe('zlast.txt');
  });

  it('is moved with the rest of the tree (to memory too)', async () => {
    const summary = await moveNode(storage.node('src:tc'), storage.node('mem:tc'));
    expect(summary).toMatchObject({ files: 3, errors: [] });
    expect(await storage.node('mem:tc/c:x.txt').readText()).toBe('c:x.txt');
    expect(await storage.node('src:tc').exists()).toBe(false);
  });
});

describe('a file whose destination key cannot be made', () => {
  it('fails alone, with its path; the files listed after it are copied', async () => {
    const summary = await copyNode(storage.node('src:tc'), storage.node('loc:'));
    expect(summary.files).toBe(2);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['src:tc/c:x.txt', 'INVALID_INPUT']]);
    expect(summary.errors[0]!.error.message).toContain('drive letters are not allowed');
    expect(await readFile(dst('zlast.txt'), 'utf8')).toBe('zlast.txt');
    expect(await readFile(dst('0first.txt'), 'utf8')).toBe('0first.txt');
  });

  it('stays at the source of a move; the others move', async () => {
    const summary = await moveNode(storage.node('src:tc'), storage.node('mem:'));
    expect(summary.files).toBe(2);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['src:tc/c:x.txt', 'INVALID_INPUT']]);
    expect(await storage.node('mem:zlast.txt').readText()).toBe('zlast.txt');
    expect(await readFile(src('tc', 'c:x.txt'), 'utf8')).toBe('c:x.txt');
    expect(await storage.node('src:tc/zlast.txt').exists()).toBe(false);
  });
});
