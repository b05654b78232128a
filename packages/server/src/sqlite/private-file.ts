import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes the store file (and the folders above it that are missing) readable by the server's user alone before SQLite
 * opens it: the folders 0700, the file 0600, whatever the umask (restic's modes). SQLite gives the `-wal` and `-shm`
 * files it makes the database file's mode. An empty file is an empty database to SQLite. Nothing is changed when the
 * file exists (an operator's choice stays).
 */
export function createPrivateStoreFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // There already (EEXIST), or a place SQLite cannot make it either: its own error names the file, as before.
  }
}

/**
 * A warning when the store file at `path` may be read by other users than the server's (its group or anyone): it
 * holds the URL-signing secret and every record. Undefined when it is private (or cannot be looked at).
 */
export function storeFileExposure(path: string): string | undefined {
  const mode = statSync(path, { throwIfNoEntry: false })?.mode;
  if (mode === undefined || (mode & 0o044) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return (
    `the store file "${path}" is readable by ${mode & 0o004 ? 'other users' : 'its group'} (mode ${octal}): it holds ` +
    `the URL-signing secret and every record; make it private: chmod 600 "${path}"*`
  );
}
