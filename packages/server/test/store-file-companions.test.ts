// Store files SQLite cannot open that the first checks missed (raw SQLite errors, UNEXPECTED, exit 70, with an empty
// ufs.db left behind): a ufs.db holding text ("file is not a database"), a folder named ufs.db-wal ("disk I/O
// error"), a dangling ufs.db-wal or ufs.db-shm link ("unable to open database file"); a file whose header looks like
// SQLite's but is not a database (SQLite's own error, mapped); a store file on a read-only file system (no
// permission helps there). Each is CONFIG_INVALID naming the file and what is wrong, and nothing is made. Real files
// in a temp folder; the read-only file system is a real tmpfs mounted read-only (the tests run as root).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../src/index.js';
import { openError, tempFolder } from './helpers/store-file.js';

const temp = tempFolder('ufs-store-companions-');

/** A fresh folder for one case. */
async function folder(name: string): Promise<string> {
  const path = join(temp(), name);
  await mkdir(path);
  return path;
}

describe('store files the first checks missed: CONFIG_INVALID naming the file, nothing made', () => {
  it('a ufs.db holding text', async () => {
    const path = join(await folder('text'), 'ufs.db');
    await writeFile(path, 'these are my notes, not a database\n');
    const error = openError(path);
    expect([error.code, error.message]).toEqual([
      'CONFIG_INVALID',
      `[ufs] [sqlite] the store file "${path}" is not a SQLite database (its first bytes are not SQLite's header): move it away (or give another data folder)`,
    ]);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('a folder named ufs.db-wal: no ufs.db made', async () => {
    const path = join(await folder('wal-folder'), 'ufs.db');
    await mkdir(`${path}-wal`);
    const error = openError(path);
    expect([error.code, error.message]).toEqual([
      'CONFIG_INVALID',
      `[ufs] [sqlite] the store file "${path}-wal" is a folder, not a database's write-ahead log (-wal): move it away (or give another data folder)`,
    ]);
    expect(existsSync(path)).toBe(false);
  });

  it.each(['-wal', '-shm'])('a dangling ufs.db%s link: no ufs.db made, nothing at its target', async (suffix) => {
    const path = join(await folder(`dangling${suffix}`), 'ufs.db');
    const target = join(temp(), `nowhere${suffix}`, 'file');
    await symlink(target, `${path}${suffix}`);
    const error = openError(path);
    expect([error.code, error.message]).toEqual([
      'CONFIG_INVALID',
      `[ufs] [sqlite] the store file "${path}${suffix}" is a dangling symbolic link (to "${target}"): create its target or remove the link`,
    ]);
    expect(error.context).toMatchObject({ backend: 'sqlite', operation: 'open', path: `${path}${suffix}` });
    expect(existsSync(path)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it("SQLite's own refusal at open (a SQLite header over bytes that are not a database) is named too", async () => {
    const path = join(await folder('corrupt'), 'ufs.db');
    await writeFile(path, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 0xa5)]));
    const error = openError(path);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(
      new RegExp(
        `^\\[ufs\\] \\[sqlite\\] the store file "${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" could not be opened by SQLite \\(.+, SQLITE_(NOTADB|CORRUPT)\\): move it away \\(or restore it from a backup\\)$`,
      ),
    );
  });

  it('a store file on a read-only file system says so (no permission would help)', async () => {
    const mountpoint = await folder('read-only');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountpoint]);
    try {
      const path = join(mountpoint, 'ufs.db');
      await new SqliteStore({ path }).close();
      execFileSync('mount', ['-o', 'remount,ro', mountpoint]);
      const error = openError(path);
      expect([error.code, error.message]).toEqual([
        'CONFIG_INVALID',
        `[ufs] [sqlite] the store file "${path}" is on a read-only file system: the store needs a writable one (remount it read-write, or give another data folder)`,
      ]);
    } finally {
      execFileSync('umount', [mountpoint]);
    }
  });
});
