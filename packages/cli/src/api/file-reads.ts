import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { UfsError, toUfsError } from '@org/core';
import { changeBetween, fileChangedError, type FileStamp } from './file-stamp.js';

/**
 * Bytes per read of a file being uploaded: a sixteenth of the reads and buffers of Node's 64 KiB default, which cost
 * the scanner ~1.7 CPU-seconds per GiB sent (on a 2-core machine, CPU taken from the server it sends to).
 */
export const READ_BUFFER = 1 << 20;

/** What a file is when it is not a regular file, for messages. */
function kindOf(stats: BigIntStats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

/**
 * A failure to read a local file, as an error about that file: `[ufs] upload "…": no such file or directory`, no
 * [server] tag, and `backend: 'local'` in its context so that a caller adding the server's context (a failed request)
 * does not make it the server's (an UfsError keeps the context keys it has).
 */
export function localError(err: unknown, operation: string, path: string): UfsError {
  return toUfsError(err, { operation, path }).withContext({ backend: 'local' });
}

function notRegular(path: string, operation: string, what: string, cause?: unknown): UfsError {
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] ${operation} "${path}": not a regular file (${what} now, replaced since it was found); it is not catalogued`,
    { retryable: false, context: { backend: 'local', operation, path }, ...(cause ? { cause } : {}) },
  );
}

/**
 * Opens a file the scan found, for reading, and its stats from the open descriptor: O_NONBLOCK, so that a path
 * replaced by a FIFO meanwhile (or a device) cannot block the thread in open() or read() with no writer, and
 * O_NOFOLLOW unless `follow` (a scan that records links as links reads no file through a link put in place of a file).
 * Anything but a regular file fails with INVALID_INPUT "not a regular file", naming the path; other errors (ENOENT:
 * the file is gone) as the system's, with `operation` and `path` and no backend: the file is local. The caller closes
 * the descriptor.
 */
export function openRegular(path: string, operation: string, follow = false): { fd: number; stats: BigIntStats } {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW);
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (err) {
    // O_NOFOLLOW on a link: ELOOP, which says nothing of what happened.
    if (!follow && (err as NodeJS.ErrnoException).code === 'ELOOP')
      throw notRegular(path, operation, 'a symbolic link', err);
    throw localError(err, operation, path);
  }
  try {
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) throw notRegular(path, operation, kindOf(stats));
    return { fd, stats };
  } catch (err) {
    closeSync(fd);
    throw localError(err, operation, path);
  }
}

/**
 * A scanned file to upload, open (openRegular), checked against what was hashed before anything is sent: another
 * size (or with `stamp` another mtime) fails with INTEGRITY at once. The caller closes the descriptor.
 */
export function openUnchanged(path: string, size: number, stamp?: FileStamp, follow = false): number {
  const { fd, stats } = openRegular(path, 'upload', follow);
  const change = changeBetween(stamp ?? { size: BigInt(size) }, stats);
  if (change) {
    closeSync(fd);
    throw fileChangedError(path, change);
  }
  return fd;
}

/**
 * The `size` bytes of a small file, read at once; INTEGRITY when the file no longer has that size (or, with a
 * `stamp`, was modified since it was scanned). Opened with openRegular: a path that is no longer a regular file (a
 * FIFO put in its place) fails at once instead of blocking the thread; a file gone fails as a local one (NOT_FOUND).
 */
export function readSmall(path: string, size: number, stamp?: FileStamp, follow = false): Buffer {
  const { fd } = openRegular(path, 'upload', follow);
  try {
    // One byte more than expected: a file that grew is caught without reading all of it.
    const bytes = Buffer.allocUnsafe(size + 1);
    let filled = 0;
    try {
      for (let n = 1; n > 0 && filled < bytes.length; filled += n)
        n = readSync(fd, bytes, filled, bytes.length - filled, null);
    } catch (err) {
      throw localError(err, 'upload', path);
    }
    if (filled !== size) {
      const now = filled > size ? 'more' : filled;
      throw fileChangedError(path, `changed since it was hashed: ${size} bytes then, ${now} now`);
    }
    // The open file's own stats: no second lookup of the path.
    const change = stamp ? changeBetween(stamp, fstatSync(fd, { bigint: true })) : undefined;
    if (change) throw fileChangedError(path, change);
    return bytes.subarray(0, size);
  } finally {
    closeSync(fd);
  }
}
