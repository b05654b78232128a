import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs';
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

/**
 * What is wrong with the store's database file before SQLite opens it, or undefined (a readable and writable file, or
 * none yet: SQLite makes it). A folder, a dangling symbolic link (SQLite would make its target wherever it points, or
 * fail with "unable to open database file", naming nothing), a link that loops, something that is not a file (a
 * FIFO, a device), or a file the server may not read or write: said in words completing `the store file "…" `.
 */
export function storeFileProblem(path: string): string | undefined {
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
  if (isFolder) return 'is a folder, not a database file: move it away (or give another data folder)';
  if (!isFile) return 'is not a regular file (a FIFO, a socket or a device?): move it away';
  for (const [mode, what] of [
    [constants.R_OK, 'read'],
    [constants.W_OK, 'written'],
  ] as const) {
    try {
      accessSync(path, mode);
    } catch (err) {
      const code = errnoOf(err);
      const why: Record<string, string> = {
        EACCES: 'permission denied',
        EROFS: 'read-only file system',
        EPERM: 'operation not permitted, is it immutable? see lsattr',
      };
      return `cannot be ${what} by this process (${why[code] ?? code}): give the server's user read and write access to it`;
    }
  }
  return undefined;
}

/** CONFIG_INVALID for a store file SQLite cannot open (storeFileProblem): the file and what is wrong with it. */
export function storeFileError(path: string, problem: string): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] [sqlite] the store file "${path}" ${problem}`, {
    context: { backend: 'sqlite', operation: 'open', path },
  });
}
