// The embedded store's file (`<data>/ufs.db`) that SQLite cannot open: a folder, a dangling symbolic link (SQLite made
// its target wherever it pointed, or failed), a link that loops, a file this process may not read. It used to fail
// with SQLite's "[sqlite] open: unable to open database file" (UNEXPECTED, exit 70), naming nothing; now
// CONFIG_INVALID names the file and what is wrong with it. Real files in a temp folder; the unreadable file is opened
// by a process of another user (uid 65534) when the tests run as root, whom no permission stops.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SqliteStore } from '../src/index.js';
import { openError, tempFolder } from './helpers/store-file.js';

const temp = tempFolder('ufs-store-file-');

describe('a store file SQLite cannot open: CONFIG_INVALID naming it', () => {
  it('a folder', async () => {
    const path = join(temp(), 'folder.db');
    await mkdir(path);
    const error = openError(path);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `[ufs] [sqlite] the store file "${path}" is a folder, not a database file: move it away (or give another data folder)`,
    );
  });

  it('a dangling symbolic link: no file made at its target', async () => {
    const path = join(temp(), 'dangling.db');
    const target = join(temp(), 'nowhere', 'ufs.db');
    await symlink(target, path);
    const error = openError(path);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `[ufs] [sqlite] the store file "${path}" is a dangling symbolic link (to "${target}"): create its target or remove the link`,
    );
    // A target whose folder exists: SQLite would have made a database there.
    const near = join(temp(), 'near.db');
    await symlink(join(temp(), 'made-through-link.db'), near);
    expect(openError(near).message).toMatch(/ is a dangling symbolic link /);
    expect(existsSync(join(temp(), 'made-through-link.db'))).toBe(false);
  });

  it('a symbolic link that loops', async () => {
    const path = join(temp(), 'loop.db');
    await symlink(path, path);
    const error = openError(path);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `[ufs] [sqlite] the store file "${path}" is a symbolic link that loops (to "${path}"): remove the link`,
    );
  });

  it('a link to a folder is a folder; a link to a database file opens', async () => {
    const folder = join(temp(), 'to-folder.db');
    await symlink(temp(), folder);
    expect(openError(folder).message).toMatch(/ is a folder, not a database file/);
    const real = join(temp(), 'real.db');
    const first = new SqliteStore({ path: real });
    await first.close();
    const linked = join(temp(), 'linked.db');
    await symlink(real, linked);
    const again = new SqliteStore({ path: linked });
    await again.close();
  });

  it('a file this process may not read (as another user when the tests run as root)', async () => {
    const folder = join(temp(), 'private');
    await mkdir(folder);
    const path = join(folder, 'ufs.db');
    await writeFile(path, '');
    await chmod(path, 0o000);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await chown(folder, 65534, 65534);
      await chown(path, 65534, 65534);
      await chmod(temp(), 0o755);
    }
    // The built package (dist): the child is plain node.
    const entry = resolve(import.meta.dirname, '../dist/index.js');
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(entry)});
      try { new SqliteStore({ path: ${JSON.stringify(path)} }); console.log('opened'); }
      catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      ...(asRoot && { uid: 65534, gid: 65534 }),
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      code: 'CONFIG_INVALID',
      message: `[ufs] [sqlite] the store file "${path}" cannot be read by this process (permission denied): give the server's user read and write access to it`,
    });
  });

  it('a file that is missing is made, as before', async () => {
    const path = join(temp(), 'new', 'ufs.db');
    const store = new SqliteStore({ path });
    await store.close();
    expect(existsSync(path)).toBe(true);
  });
});
