// A local write through a dangling symbolic link whose target would be inside the root is refused as a dangling link
// (as on SFTP), not as an escape; a link that really leaves the root (dangling or not) is still an escape.
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let outside: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let root = '';

beforeEach(async () => {
  dir = await tempDir();
  outside = await tempDir();
  root = join(dir.path, 'root');
  await mkdir(join(root, 'lk'), { recursive: true });
  await writeFile(join(outside.path, 'there.txt'), 'outside');
  await writeFile(join(root, 't.txt'), 'source');
  await symlink('nowhere', join(root, 'lk/dang'));
  await symlink('../missing/deeper', join(root, 'lk/dang-deep'));
  await symlink(join(outside.path, 'nothing'), join(root, 'lk/out-dang'));
  await symlink(join(outside.path, 'there.txt'), join(root, 'lk/out'));
  await symlink('no-folder', join(root, 'dd'));
  storage = new StorageManager({ env: {} });
  await storage.configure([{ name: 'loc', protocol: 'local', root }]);
});
afterEach(async () => {
  await storage.dispose();
  await Promise.all([dir.cleanup(), outside.cleanup()]);
});

describe('a dangling link inside the root', () => {
  it.each(['lk/dang', 'lk/dang-deep'])('is named as dangling by writeText (%s)', async (key) => {
    const error = await rejectsWith(storage.node(`loc:${key}`).writeText('x'), 'PERMISSION_DENIED');
    expect(error.message).toContain('is a dangling symbolic link (its target does not exist); refused');
    expect(error.message).not.toContain('outside the mount root');
  });

  it('is named as dangling by a copy onto it', async () => {
    const summary = await copyNode(storage.node('loc:t.txt'), storage.node('loc:lk/dang'));
    expect(summary.errors.map((e) => e.error.code)).toEqual(['PERMISSION_DENIED']);
    const { error } = summary.errors[0]!;
    expect(error.message).toContain('is a dangling symbolic link');
    expect(error.message).not.toContain('outside the mount root');
    expect(await readdir(join(root, 'lk'))).not.toContain('nowhere');
  });

  it('on the way to the key is named (the link, not the key)', async () => {
    const error = await rejectsWith(storage.node('loc:dd/x.txt').writeText('x'), 'PERMISSION_DENIED');
    expect(error.message).toContain('"dd" is a dangling symbolic link');
    expect(error.message).not.toContain('outside the mount root');
  });
});

describe('a link leaving the root', () => {
  it.each(['lk/out-dang', 'lk/out'])('is still an escape (%s)', async (key) => {
    const error = await rejectsWith(storage.node(`loc:${key}`).writeText('x'), 'PERMISSION_DENIED');
    expect(error.message).toContain('resolves outside the mount root (symbolic link); refused');
    expect(await readdir(outside.path)).toEqual(['there.txt']);
  });
});
