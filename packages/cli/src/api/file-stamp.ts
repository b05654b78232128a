import { statSync } from 'node:fs';
import { UfsError } from '@org/core';

/** What a file looked like when it was scanned (walked, then hashed): its size and, when known, its mtime. */
export interface FileStamp {
  size: bigint;
  mtimeNs?: bigint;
}

/**
 * How the file at `path` differs now from `stamp` ("5000000 bytes when scanned, 5120000 now"), or
 * undefined when it does not, or when it cannot be read (the caller's own error says why then).
 */
export function changeOf(path: string, stamp: FileStamp): string | undefined {
  let now;
  try {
    now = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  return changeBetween(stamp, now);
}

/** How `now` (the file's stats, e.g. from fstat of a file already open) differs from `stamp`, or undefined. */
export function changeBetween(stamp: FileStamp, now: { size: bigint; mtimeNs: bigint }): string | undefined {
  if (now.size !== stamp.size) return `${stamp.size} bytes when scanned, ${now.size} now`;
  if (stamp.mtimeNs !== undefined && now.mtimeNs !== stamp.mtimeNs) return 'modified since it was scanned';
  return undefined;
}

/**
 * The failure of one file's upload when the file changed after it was hashed (a growing log, a file being written):
 * the bytes on disk are no longer those of the record, so nothing is stored; a later scan sends the new state.
 */
export function fileChangedError(path: string, change: string, cause?: unknown): UfsError {
  return new UfsError(
    'INTEGRITY',
    `[ufs] [server] upload "${path}": the file changed while it was being scanned (${change}); scan again`,
    { retryable: false, context: { backend: 'server', operation: 'upload', path }, ...(cause ? { cause } : {}) },
  );
}
