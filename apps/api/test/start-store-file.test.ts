// The store file of UFS_DATA_DIR (`ufs.db`) that SQLite cannot open: a folder, or a dangling symbolic link. The
// built app ended with "[ufs] [sqlite] open: unable to open database file" (70), naming no file; now one line
// naming the file and what is wrong with it, CONFIG_INVALID (78), no stack trace (main and bootstrap-key).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BOOTSTRAP_KEY, MAIN, runEntry, type Ended } from './helpers/run-api.js';

/** The one line of a failed start. */
function oneLine(ended: Ended): string {
  const lines = ended.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('UFS_DATA_DIR/ufs.db that SQLite cannot open', () => {
  let dir: string;
  const env = (extra: Record<string, string>) => ({
    UFS_HOST: '127.0.0.1',
    UFS_PORT: '0',
    UFS_LOG_LEVEL: 'error',
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-store-file-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a folder: 78 naming the file, "is a folder" (main and bootstrap-key)', async () => {
    const data = join(dir, 'folder');
    await mkdir(join(data, 'ufs.db'), { recursive: true });
    for (const script of [MAIN, BOOTSTRAP_KEY]) {
      const ended = await runEntry(script, env({ UFS_DATA_DIR: data }));
      expect([ended.code, oneLine(ended)]).toEqual([
        78,
        `[ufs] [sqlite] the store file "${join(data, 'ufs.db')}" is a folder, not a database file: move it away (or give another data folder)`,
      ]);
      expect(ended.stdout).not.toMatch(/listening/);
      // Refused before anything is made: no content folder beside it.
      expect(existsSync(join(data, 'content'))).toBe(false);
    }
  });

  it('a dangling symbolic link: 78 naming the file and its target; nothing made at the target', async () => {
    const data = join(dir, 'dangling');
    await mkdir(data);
    const target = join(dir, 'no-store.db');
    await symlink(target, join(data, 'ufs.db'));
    for (const script of [MAIN, BOOTSTRAP_KEY]) {
      const ended = await runEntry(script, env({ UFS_DATA_DIR: data }));
      expect([ended.code, oneLine(ended)]).toEqual([
        78,
        `[ufs] [sqlite] the store file "${join(data, 'ufs.db')}" is a dangling symbolic link (to "${target}"): create its target or remove the link`,
      ]);
    }
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(data, 'content'))).toBe(false);
  });
});
