import { createHash } from 'node:crypto';
import { closeSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { toUfsError, type ErrorCode } from '@org/core';
import { openRegular } from '../api/file-reads.js';

/**
 * One file, or a batch of small files (one message for many: a small file hashes faster than a round trip);
 * `follow`: the scan follows symbolic links (else a link put in place of a file is not read through).
 */
export type HashTask = ({ path: string } | { paths: string[] }) & { follow?: boolean };

export type HashAnswer =
  { ok: true; sha256: string; size: number } | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/** Read size of the blocking path: small enough that the bytes are still in the CPU cache when they are hashed. */
const SYNC_BUFFER = 256 * 1024;
/** Read size of a large file: two buffers, one read in flight while the other is hashed. */
const ASYNC_BUFFER = 4 * 1024 * 1024;
const readAsync = promisify(read);

/** One reused buffer of the blocking path (a worker hashes one batch at a time on its thread). */
let syncBuffer: Buffer | undefined;

function failed(err: unknown, path: string): HashAnswer {
  // Errors cross the thread boundary as plain data (structured clone drops the UfsError class).
  const error = toUfsError(err, { operation: 'hash', path });
  return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
}

/** Blocking hash of a regular file (openRegular: a FIFO put in its place fails instead of blocking the thread). */
function hashSync(path: string, follow: boolean): HashAnswer {
  const { fd } = openRegular(path, 'hash', follow);
  try {
    const buffer = (syncBuffer ??= Buffer.allocUnsafeSlow(SYNC_BUFFER));
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, size);
      if (n === 0) break;
      size += n;
      hash.update(buffer.subarray(0, n));
    }
    return { ok: true, sha256: hash.digest('hex'), size };
  } catch (err) {
    throw toUfsError(err, { operation: 'hash', path });
  } finally {
    closeSync(fd);
  }
}

/** The same with overlapped reads on the thread pool: the next read in flight while a buffer is hashed. */
async function hashAsync(path: string, follow: boolean): Promise<HashAnswer> {
  const { fd } = openRegular(path, 'hash', follow);
  const buffers = [Buffer.allocUnsafe(ASYNC_BUFFER), Buffer.allocUnsafe(ASYNC_BUFFER)] as const;
  const hash = createHash('sha256');
  let which = 0;
  let size = 0;
  let pending = readAsync(fd, buffers[0], 0, ASYNC_BUFFER, 0);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = buffers[which as 0 | 1];
      size += bytesRead;
      which ^= 1;
      pending = readAsync(fd, buffers[which as 0 | 1], 0, ASYNC_BUFFER, size);
      hash.update(current.subarray(0, bytesRead));
    }
    return { ok: true, sha256: hash.digest('hex'), size };
  } catch (err) {
    await pending.catch(() => undefined);
    throw toUfsError(err, { operation: 'hash', path });
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs in a worker thread (piscina). A batch is hashed with blocking reads (this thread does nothing else, and for
 * small files thread-pool round trips would cost more than the hashing); a single (large) file with overlapped async
 * reads. Every file is opened with openRegular: a path that is no longer a regular file fails alone.
 */
export default async function hashTask(task: HashTask): Promise<HashAnswer | HashAnswer[]> {
  const follow = task.follow ?? false;
  if ('paths' in task) {
    return task.paths.map((path) => {
      try {
        return hashSync(path, follow);
      } catch (err) {
        return failed(err, path);
      }
    });
  }
  try {
    return await hashAsync(task.path, follow);
  } catch (err) {
    return failed(err, task.path);
  }
}
