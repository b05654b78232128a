// What keeps a data folder's store safe across upgrades, downgrades and other local users: the schema version written
// in ufs.db (a store of a newer ufs is refused), the rollback guard at metadata.sqlite (older versions cannot start on
// a new data folder), and private modes for what ufs creates (0700 folders, 0600 store files, whatever the umask).
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { UfsError } from '@org/core';
import {
  SCHEMA_VERSION,
  SqliteStore,
  dataDirStoreFile,
  ensureDataFolder,
  guardAgainstOlderVersions,
  isRollbackGuard,
  storeFileExposure,
  type Refuse,
} from '../src/index.js';
import { openError, tempFolder } from './helpers/store-file.js';

const folder = tempFolder('ufs-store-safety-');
const refuse: Refuse = (why, cause) => new UfsError('CONFIG_INVALID', `[ufs] X ${why}`, { cause });
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('schema version (PRAGMA user_version)', () => {
  it('a new store and a store of an older version (0) are written with the current version', async () => {
    const path = join(folder(), 'version', 'ufs.db');
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.pragma('user_version = 0'); // as every version before this one left it
    db.close();
    await new SqliteStore({ path }).close();
    const again = new Database(path);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('a store written by a newer ufs is refused, CONFIG_INVALID, and left as it is', async () => {
    const path = join(folder(), 'newer', 'ufs.db');
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = openError(path);
    expect([error.code, error.message]).toEqual([
      'CONFIG_INVALID',
      `[ufs] [sqlite] the store file "${path}" was written by a newer ufs (schema ${SCHEMA_VERSION + 1}); this ufs ` +
        `knows up to schema ${SCHEMA_VERSION}: run the newer ufs on it (or restore a backup this version made)`,
    ]);
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    after.close();
  });
});

describe('rollback guard (a folder named metadata.sqlite beside ufs.db)', () => {
  it('is made beside ufs.db, cannot be opened by SQLite (what an older version does), and is not a second store', async () => {
    const data = join(folder(), 'guarded');
    await mkdir(data);
    const storeFile = dataDirStoreFile(data, refuse);
    expect(storeFile).toBe(join(data, 'ufs.db'));
    await new SqliteStore({ path: storeFile }).close();
    await guardAgainstOlderVersions(storeFile);
    const guard = join(data, 'metadata.sqlite');
    expect(isRollbackGuard(guard)).toBe(true);
    expect(await modeOf(guard)).toBe(0o700);
    expect(await readFile(join(guard, 'README.txt'), 'utf8')).toMatch(/^This folder is not a database\./);
    // An older ufs opened `<data-dir>/metadata.sqlite` with SQLite: on the guard it fails instead of making a store.
    expect(() => new Database(guard)).toThrow(/unable to open database file|directory/);
    // This version knows it: the data folder still has one store, ufs.db; a second guard call changes nothing.
    expect(dataDirStoreFile(data, refuse)).toBe(storeFile);
    await guardAgainstOlderVersions(storeFile);
    expect(isRollbackGuard(guard)).toBe(true);
  });

  it('is never made beside the metadata.sqlite store of an older data folder', async () => {
    const data = join(folder(), 'older');
    await new SqliteStore({ path: join(data, 'metadata.sqlite') }).close();
    const storeFile = dataDirStoreFile(data, refuse);
    await guardAgainstOlderVersions(storeFile);
    expect(isRollbackGuard(join(data, 'metadata.sqlite'))).toBe(false);
    expect((await stat(join(data, 'metadata.sqlite'))).isFile()).toBe(true);
  });
});

describe('private modes', () => {
  it('a data folder ufs makes is 0700 (each level it makes); a folder that exists keeps its mode', async () => {
    const previous = process.umask(0o022);
    try {
      const data = join(folder(), 'made', 'deeper');
      await ensureDataFolder(data, refuse);
      expect(await modeOf(data)).toBe(0o700);
      expect(await modeOf(join(folder(), 'made'))).toBe(0o700);
      const existing = join(folder(), 'existing');
      await mkdir(existing, { mode: 0o755 });
      await chmod(existing, 0o755);
      await ensureDataFolder(existing, refuse);
      expect(await modeOf(existing)).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it('a store file ufs makes is 0600, and so are its -wal and -shm; an older readable one is warned about', async () => {
    const previous = process.umask(0o022);
    try {
      const path = join(folder(), 'private', 'ufs.db');
      const store = new SqliteStore({ path });
      await store.getOrInsertSetting('signing_secret', 'a secret of sixteen');
      expect(await modeOf(join(folder(), 'private'))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect([file, await modeOf(file)]).toEqual([file, 0o600]);
      expect(storeFileExposure(path)).toBeUndefined();
      await store.close();
      await chmod(path, 0o644); // as versions before this one made it
      expect(storeFileExposure(path)).toBe(
        `the store file "${path}" is readable by other users (mode 0644): it holds the URL-signing secret and every ` +
          `record; make it private: chmod 600 "${path}"*`,
      );
      await chmod(path, 0o640);
      expect(storeFileExposure(path)).toMatch(/is readable by its group \(mode 0640\)/);
    } finally {
      process.umask(previous);
    }
  });
});
