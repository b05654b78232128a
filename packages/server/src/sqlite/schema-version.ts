import type Database from 'better-sqlite3';
import { UfsError } from '@org/core';

/**
 * The schema version this code writes into the store file (`PRAGMA user_version`) and the newest it knows. A store
 * written by an older ufs (0: before versions were written) is brought up to it; one written by a newer ufs is
 * refused, so that a downgrade never runs on a schema it does not understand.
 */
export const SCHEMA_VERSION = 1;

/** CONFIG_INVALID when the store file at `path` was written by a newer ufs (a user_version above SCHEMA_VERSION). */
export function checkSchemaVersion(db: Database.Database, path: string): void {
  const found = Number(db.pragma('user_version', { simple: true }));
  if (found <= SCHEMA_VERSION) return;
  throw new UfsError(
    'CONFIG_INVALID',
    `[ufs] [sqlite] the store file "${path}" was written by a newer ufs (schema ${found}); this ufs knows up to ` +
      `schema ${SCHEMA_VERSION}: run the newer ufs on it (or restore a backup this version made)`,
    { context: { backend: 'sqlite', operation: 'open', path } },
  );
}

/** Records SCHEMA_VERSION in the store file (once the schema is in place), when it says less. */
export function recordSchemaVersion(db: Database.Database): void {
  if (Number(db.pragma('user_version', { simple: true })) < SCHEMA_VERSION)
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
