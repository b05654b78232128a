import { hashFile, hashFileSync, toUfsError, type ErrorCode } from '@org/core';

/** One file, or a batch of small files (one message for many: a small file hashes faster than a round trip). */
export type HashTask = { path: string } | { paths: string[] };

export type HashAnswer =
  { ok: true; sha256: string; size: number } | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/** Read size of the blocking path: small enough that the bytes are still in the CPU cache when they are hashed. */
const SYNC_BUFFER = 256 * 1024;

function failed(err: unknown, path: string): HashAnswer {
  // Errors cross the thread boundary as plain data (structured clone drops the UfsError class).
  const error = toUfsError(err, { operation: 'hash', path });
  return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
}

/**
 * Runs in a worker thread (piscina). A batch is hashed with blocking reads (this thread does nothing else, and for
 * small files thread-pool round trips would cost more than the hashing); a single (large) file with the overlapped
 * async reads of `hashFile`, the next read in flight while a buffer is hashed.
 */
export default async function hashTask(task: HashTask): Promise<HashAnswer | HashAnswer[]> {
  if ('paths' in task) {
    return task.paths.map((path) => {
      try {
        const { digest, size } = hashFileSync(path, { bufferSize: SYNC_BUFFER });
        return { ok: true, sha256: digest, size };
      } catch (err) {
        return failed(err, path);
      }
    });
  }
  try {
    const { digest, size } = await hashFile(task.path);
    return { ok: true, sha256: digest, size };
  } catch (err) {
    return failed(err, task.path);
  }
}
