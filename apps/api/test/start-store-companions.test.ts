// UFS_DATA_DIR store files the first checks missed: a ufs.db holding text, a folder named ufs.db-wal, a dangling
// ufs.db-shm link. The built app ended with SQLite's own words ("file is not a database", "disk I/O error", "unable
// to open database file": 70) and left an empty ufs.db; now one line naming the file and what is wrong with it,
// CONFIG_INVALID (78), no ufs.db made.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAIN, runEntry } from './helpers/run-api.js';

describe('UFS_DATA_DIR store files SQLite cannot open (-wal, -shm, text)', () => {
  let dir: string;
  const env = (data: string) => ({ UFS_HOST: '127.0.0.1', UFS_PORT: '0', UFS_LOG_LEVEL: 'error', UFS_DATA_DIR: data });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-store-companions-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  /** The exit status and the one line of a failed start. */
  async function failedStart(data: string): Promise<[number | null, string]> {
    const ended = await runEntry(MAIN, env(data));
    const lines = ended.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(ended.stdout).not.toMatch(/listening/);
    return [ended.code, lines[0]!];
  }

  it('a ufs.db holding text: 78 naming it', async () => {
    const data = join(dir, 'text');
    await mkdir(data);
    await writeFile(join(data, 'ufs.db'), 'not a database\n');
    expect(await failedStart(data)).toEqual([
      78,
      `[ufs] [sqlite] the store file "${join(data, 'ufs.db')}" is not a SQLite database (its first bytes are not SQLite's header): move it away (or give another data folder)`,
    ]);
  });

  it('a folder named ufs.db-wal: 78 naming it, no ufs.db made', async () => {
    const data = join(dir, 'wal');
    await mkdir(join(data, 'ufs.db-wal'), { recursive: true });
    expect(await failedStart(data)).toEqual([
      78,
      `[ufs] [sqlite] the store file "${join(data, 'ufs.db-wal')}" is a folder, not a database's write-ahead log (-wal): move it away (or give another data folder)`,
    ]);
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
  });

  it('a dangling ufs.db-shm link: 78 naming it, no ufs.db made', async () => {
    const data = join(dir, 'shm');
    await mkdir(data);
    const target = join(dir, 'no-shm');
    await symlink(target, join(data, 'ufs.db-shm'));
    expect(await failedStart(data)).toEqual([
      78,
      `[ufs] [sqlite] the store file "${join(data, 'ufs.db-shm')}" is a dangling symbolic link (to "${target}"): create its target or remove the link`,
    ]);
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
    expect(existsSync(target)).toBe(false);
  });
});
