// The rollback guard of a data folder: versions of ufs before the store was named `ufs.db` open
// `<data-dir>/metadata.sqlite`, and on a folder of this version they would make an empty store there and their gc
// would then delete every object of the content mount. A FOLDER at that name is what this version keeps there: an
// older version's SQLite cannot open a folder ("unable to open database file") and its start fails, and this version
// knows the folder as its own guard (not a second store file).
import { lstatSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The store file's name in a data folder (see start-checks.ts). */
const STORE_FILE = 'ufs.db';
/** The store file's name before (see start-checks.ts): the guard's name. */
const OLD_STORE_FILE = 'metadata.sqlite';
/** What the guard folder holds, for the operator who finds it. */
const GUARD_README = 'README.txt';

const GUARD_TEXT = `This folder is not a database. It stops versions of ufs older than the rename of the store file to
ufs.db (they open metadata.sqlite) from starting on this data folder with an empty store: their gc would then delete
the content the store ufs.db refers to. Start a ufs version that reads ufs.db, or restore a backup made by the older
version into a data folder of its own. Leave this folder in place.
`;

/** Whether `path` (a data folder's `metadata.sqlite`) is this version's rollback guard: a folder, never a store. */
export function isRollbackGuard(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Puts the rollback guard beside the store file `storeFile` when that is a data folder's `ufs.db`: a folder named
 * `metadata.sqlite` (mode 0700) holding a README. Already there, it is left as it is; a store file of that name (an
 * older data folder in use) is never touched: then `storeFile` is that one, not `ufs.db`. Call it once the store is
 * open (a refused start makes nothing).
 */
export async function guardAgainstOlderVersions(storeFile: string): Promise<void> {
  if (basename(storeFile) !== STORE_FILE) return;
  const guard = join(dirname(storeFile), OLD_STORE_FILE);
  try {
    await mkdir(guard, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // the guard, or a store file the start refused
    throw err;
  }
  await writeFile(join(guard, GUARD_README), GUARD_TEXT, { mode: 0o600 });
}
