import { hashFile, toUfsError, type ErrorCode } from '@org/core';

export interface HashTask {
  path: string;
}

export type HashAnswer =
  { ok: true; sha256: string; size: number } | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/** Runs in a worker thread (piscina): a streaming SHA-256 of one file with the core `hashFile`. */
export default async function hashTask({ path }: HashTask): Promise<HashAnswer> {
  try {
    const { digest, size } = await hashFile(path);
    return { ok: true, sha256: digest, size };
  } catch (err) {
    // Errors cross the thread boundary as plain data (structured clone drops the UfsError class).
    const error = toUfsError(err, { operation: 'hash', path });
    return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
  }
}
