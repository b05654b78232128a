import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalBackend, StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

// A path written with a trailing "/" names a folder (as `rm t.txt/` does in a shell): a file there is never deleted,
// read or overwritten through it.
let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root: join(dir.path, 'root') },
    { name: 'mem', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe.each([
  ['disk', 'local'],
  ['mem', 'memory'],
])('"x/" when x is a file (%s, %s)', (mount, protocol) => {
  beforeEach(async () => {
    await storage.node(`${mount}:t.txt`).writeText('keep me');
    await storage.node(`${mount}:folder/inner.txt`).writeText('inner');
  });
  const file = () => storage.node(`${mount}:t.txt`);
  const slashed = () => storage.node(`${mount}:t.txt/`);

  it('delete fails with INVALID_INPUT and the file stays', async () => {
    const error = await rejectsWith(slashed().delete(), 'INVALID_INPUT');
    expect(error.message).toBe(
      `[ufs] [${protocol}] delete "${mount}:t.txt/": "t.txt" is a file, not a folder (a path ending in "/" names a folder)`,
    );
    await rejectsWith(slashed().delete({ recursive: true }), 'INVALID_INPUT');
    await rejectsWith(storage.node(`${mount}:`, 't.txt/').delete(), 'INVALID_INPUT');
    expect(await file().readText()).toBe('keep me');
  });

  it('stat, exists, read and hash fail with INVALID_INPUT', async () => {
    expect(slashed().folderOnly).toBe(true);
    expect(slashed().path).toBe('t.txt');
    await rejectsWith(slashed().stat(), 'INVALID_INPUT');
    await rejectsWith(slashed().exists(), 'INVALID_INPUT');
    await rejectsWith(slashed().readText(), 'INVALID_INPUT');
    await rejectsWith(slashed().openReadStream(), 'INVALID_INPUT');
    await rejectsWith(slashed().hash(), 'INVALID_INPUT');
    await rejectsWith(slashed().children(), 'INVALID_INPUT');
  });

  it('writes and appends are refused, whatever is there', async () => {
    const error = await rejectsWith(slashed().writeText('lost'), 'INVALID_INPUT');
    expect(error.message).toBe(
      `[ufs] [${protocol}] write "${mount}:t.txt/": a path ending in "/" names a folder, not a file`,
    );
    await rejectsWith(storage.node(`${mount}:new.txt/`).writeText('x'), 'INVALID_INPUT');
    await rejectsWith(slashed().append(Readable.from([Buffer.from('more')])), 'INVALID_INPUT');
    expect(await file().readText()).toBe('keep me');
    expect(await storage.node(`${mount}:new.txt`).exists()).toBe(false);
  });

  it('copy and move to or from it fail and change nothing', async () => {
    await rejectsWith(slashed().copyTo(storage.node(`${mount}:copy.txt`)), 'INVALID_INPUT');
    await rejectsWith(slashed().moveTo(storage.node(`${mount}:moved.txt`)), 'INVALID_INPUT');
    // A file onto a path that names a folder: it would need its own name below it.
    await rejectsWith(storage.node(`${mount}:folder/inner.txt`).moveTo(slashed()), 'INVALID_INPUT');
    await rejectsWith(storage.node(`${mount}:folder/inner.txt`).copyTo(storage.node(`${mount}:new/`)), 'INVALID_INPUT');
    expect(await file().readText()).toBe('keep me');
    expect(await storage.node(`${mount}:folder/inner.txt`).readText()).toBe('inner');
    expect(await storage.node(`${mount}:new`).exists()).toBe(false);
  });

  it('a folder written with "/" behaves as the folder; a missing one as missing', async () => {
    const folder = storage.node(`${mount}:folder/`);
    expect(await folder.isDir()).toBe(true);
    expect((await folder.children()).map((n) => n.basename)).toEqual(['inner.txt']);
    expect(folder.child('inner.txt').folderOnly).toBe(false);
    expect(folder.child('sub/').folderOnly).toBe(true);
    expect(await storage.node(`${mount}:nothing/`).exists()).toBe(false);
    await storage.node(`${mount}:nothing/`).delete();
    await storage.node(`${mount}:made/`).mkdir();
    expect(await storage.node(`${mount}:made`).isDir()).toBe(true);
    await folder.delete({ recursive: true });
    expect(await storage.node(`${mount}:folder`).exists()).toBe(false);
  });
});

it('on a local mount the file on disk is untouched', async () => {
  await storage.node('disk:t.txt').writeText('keep me');
  await rejectsWith(storage.node('disk:t.txt/').delete(), 'INVALID_INPUT');
  expect(await readFile(join(dir.path, 'root/t.txt'), 'utf8')).toBe('keep me');
});

it('the local backend refuses a key with a trailing "/" (keys reach it normalised) instead of acting on the file', async () => {
  const backend = new LocalBackend({ root: join(dir.path, 'raw'), mountName: 'raw' });
  await backend.write('t.txt', Readable.from([Buffer.from('keep me')]));
  const error = await rejectsWith(backend.delete('t.txt/'), 'INVALID_INPUT');
  expect(error.message).toBe(
    '[ufs] [local] delete "raw:t.txt/": a key ending in "/" names a folder; keys must be normalised',
  );
  await rejectsWith(backend.rename('t.txt/', 'u.txt'), 'INVALID_INPUT');
  await rejectsWith(backend.stat('t.txt/'), 'INVALID_INPUT');
  await rejectsWith(backend.read('t.txt/'), 'INVALID_INPUT');
  await rejectsWith(backend.write('t.txt/', Readable.from([Buffer.from('lost')])), 'INVALID_INPUT');
  expect(await readFile(join(dir.path, 'raw/t.txt'), 'utf8')).toBe('keep me');
});
