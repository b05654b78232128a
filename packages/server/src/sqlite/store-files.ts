import { accessSync, closeSync, constants, lstatSync, openSync, readSync, readlinkSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { UfsError } from '@org/core';

/**
 * Whether the embedded store's files may be written, asked before SQLite touches them.
 *
 * In WAL mode every connection maps the `-shm` file (the WAL index) into memory and writes to it directly: a commit
 * (its header, the hash of its frames), a read transaction (its read mark), a checkpoint (its progress). Once that
 * file is made immutable (`chattr +i`, which stops root too), the kernel refuses the next write to a mapped page
 * with SIGBUS: no error comes back to SQLite, the process hangs in the fault or dies (exit 135), with nothing logged.
 * The database file's own mapping (`mmap_size`) is read-only in this SQLite build (no SQLITE_MMAP_READWRITE), and the
 * WAL file is written with write(2), whose EPERM comes back as SQLITE_IOERR: neither can crash the process.
 *
 * So before a write and (at most once a millisecond) before a read, `access(-shm, W_OK)` is asked — immutability
 * makes it EPERM — and an unwritable file fails the operation with UNAVAILABLE naming it (503 to clients, the file in
 * the log) instead of letting SQLite write. This narrows the window to the time between the check and SQLite's
 * write; it cannot close it (a file made immutable in between still faults). `diagnose` names the file when SQLite
 * itself failed with an I/O error (an immutable WAL or database file).
 */
export class StoreFiles {
  private readonly shm: string;
  private readonly all: readonly string[];
  private checkedAt = -Infinity;

  constructor(path: string) {
    this.shm = `${path}-shm`;
    this.all = [path, `${path}-wal`, this.shm];
  }

  /**
   * Throws UNAVAILABLE when the `-shm` file cannot be written. `maxAgeMs`: a check this recent (that passed) is
   * trusted instead of asking again (reads); 0 asks every time (writes).
   */
  assertWritable(operation: string, maxAgeMs = 0): void {
    const now = performance.now();
    if (maxAgeMs > 0 && now - this.checkedAt < maxAgeMs) return;
    const problem = unwritable(this.shm);
    if (problem) throw unwritableError(operation, this.shm, problem);
    this.checkedAt = now;
  }

  /** The first of the store's files that cannot be written, and why (an errno code); undefined when all can. */
  diagnose(): { file: string; code: string } | undefined {
    for (const file of this.all) {
      const code = unwritable(file);
      if (code) return { file, code };
    }
    return undefined;
  }
}

/** The errno code for which `file` cannot be written; undefined when it can, or does not exist (not made yet). */
function unwritable(file: string): string | undefined {
  try {
    accessSync(file, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return code === 'ENOENT' ? undefined : code;
  }
}

/** UNAVAILABLE for an operation refused (or failed) because a store file cannot be written: the file in the message. */
export function unwritableError(operation: string, file: string, code: string, cause?: unknown): UfsError {
  const why = code === 'EPERM' ? 'EPERM: is it immutable? see lsattr' : code;
  return new UfsError(
    'UNAVAILABLE',
    `[ufs] [sqlite] ${operation}: the store's file "${file}" cannot be written (${why}); nothing was changed`,
    // `errno` (a code, never a path): what readiness may tell anyone (see health/readiness-report.ts).
    { cause, retryable: true, context: { backend: 'sqlite', operation, errno: code } },
  );
}

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';

/** The first bytes of every SQLite database file (an empty file is an empty database too). */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * What is wrong with the store's files before SQLite opens them, or undefined (readable and writable files, or none
 * yet: SQLite makes them): the database file and its `-wal` and `-shm` companions, each checked the same way. A
 * folder, a dangling symbolic link (SQLite would make its target wherever it points, or fail with "unable to open
 * database file", naming nothing), a link that loops, something that is not a file (a FIFO, a device), a file the
 * server may not read or write, or one on a read-only file system; a database file whose first bytes are not
 * SQLite's (text, say: "file is not a database"). Said as the file and words completing `the store file "…" `.
 */
export function storeFileProblem(path: string): { file: string; problem: string } | undefined {
  for (const [file, kind] of [
    [path, 'database file'],
    [`${path}-wal`, "database's write-ahead log (-wal)"],
    [`${path}-shm`, "database's shared-memory index (-shm)"],
  ] as const) {
    const problem = fileProblem(file, kind);
    if (problem) return { file, problem };
    if (file === path && notSqlite(path)) {
      return {
        file,
        problem:
          "is not a SQLite database (its first bytes are not SQLite's header): move it away (or give another data folder)",
      };
    }
  }
  return undefined;
}

/** Whether the file at `path` (there, a regular file the process may read) has bytes that do not begin as SQLite's. */
function notSqlite(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read > 0 && !head.subarray(0, read).equals(SQLITE_HEADER.subarray(0, read));
  } catch {
    return false; // SQLite's own error says it (mapped at open)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What is wrong with one of the store's files (`kind`: what it is, for a folder), or undefined. */
function fileProblem(path: string, kind: string): string | undefined {
  let link: boolean;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    return `cannot be looked at (${errnoOf(err)})`;
  }
  let isFile: boolean;
  let isFolder: boolean;
  try {
    const found = statSync(path);
    isFile = found.isFile();
    isFolder = found.isDirectory();
  } catch (err) {
    const to = (() => {
      try {
        return readlinkSync(path);
      } catch {
        return '?';
      }
    })();
    if (link && errnoOf(err) === 'ENOENT')
      return `is a dangling symbolic link (to "${to}"): create its target or remove the link`;
    if (errnoOf(err) === 'ELOOP') return `is a symbolic link that loops (to "${to}"): remove the link`;
    return `cannot be looked at (${errnoOf(err)})`;
  }
  if (isFolder) return `is a folder, not a ${kind}: move it away (or give another data folder)`;
  if (!isFile) return 'is not a regular file (a FIFO, a socket or a device?): move it away';
  for (const [mode, what] of [
    [constants.R_OK, 'read'],
    [constants.W_OK, 'written'],
  ] as const) {
    try {
      accessSync(path, mode);
    } catch (err) {
      const code = errnoOf(err);
      // No permission helps on a read-only file system.
      if (code === 'EROFS')
        return 'is on a read-only file system: the store needs a writable one (remount it read-write, or give another data folder)';
      const why: Record<string, string> = {
        EACCES: 'permission denied',
        EPERM: 'operation not permitted, is it immutable? see lsattr',
      };
      return `cannot be ${what} by this process (${why[code] ?? code}): give the server's user read and write access to it`;
    }
  }
  return undefined;
}

/**
 * CONFIG_INVALID for a store file SQLite failed to open (SQLITE_NOTADB, SQLITE_CANTOPEN, SQLITE_IOERR,
 * SQLITE_CORRUPT) although storeFileProblem found nothing wrong before: the file and SQLite's words; undefined for
 * another error.
 */
export function openFailure(path: string, err: unknown): UfsError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^SQLITE_(NOTADB|CANTOPEN|IOERR|CORRUPT)/.test(code)) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  const hint = /^SQLITE_(NOTADB|CORRUPT)/.test(code)
    ? 'move it away (or restore it from a backup)'
    : 'check the file and its -wal and -shm companions (and the folder holding them)';
  return storeFileError(path, `could not be opened by SQLite (${message}, ${code}): ${hint}`, err);
}

/** CONFIG_INVALID for a store file SQLite cannot open (storeFileProblem): the file and what is wrong with it. */
export function storeFileError(path: string, problem: string, cause?: unknown): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] [sqlite] the store file "${path}" ${problem}`, {
    cause,
    context: { backend: 'sqlite', operation: 'open', path },
  });
}
