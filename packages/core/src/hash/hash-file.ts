import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { toUfsError } from '../errors/classify.js';
import { UfsError } from '../errors/ufs-error.js';

export type HashAlgorithm = 'sha256' | 'md5';

export interface HashFileOptions {
  algorithm?: HashAlgorithm;
  /** Read size; two buffers of this size are reused for the whole file. Default 4 MiB. */
  bufferSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk with the bytes hashed so far. */
  onProgress?: (loaded: number) => void;
}

export interface HashResult {
  /** Lowercase hex digest. */
  digest: string;
  size: number;
}

const DEFAULT_BUFFER = 4 * 1024 * 1024;
/** Buffer pairs kept for reuse between calls (per thread): enough for a few files hashed at once. */
const POOL_LIMIT = 4;
const pool = new Map<number, Array<[Buffer, Buffer]>>();

/**
 * Two read buffers of `size` bytes, reused across calls: hashing many small files would otherwise allocate (and
 * let the garbage collector reclaim) 2 × 4 MiB per file, which costs far more than hashing them.
 */
function takeBuffers(size: number): [Buffer, Buffer] {
  return pool.get(size)?.pop() ?? [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
}

function giveBack(size: number, buffers: [Buffer, Buffer]): void {
  const free = pool.get(size) ?? [];
  if (free.length < POOL_LIMIT) free.push(buffers);
  pool.set(size, free);
}

/**
 * Streaming hash of a file. Reads into two reused buffers and hashes one while the next read is in flight
 * (the read runs on libuv's thread pool), so memory stays at 2 × bufferSize whatever the file size.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<HashResult> {
  const algorithm = options.algorithm ?? 'sha256';
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  const hash = createHash(algorithm);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw toUfsError(err, { operation: 'hash', path });
  }
  const buffers = takeBuffers(size);
  let which = 0;
  let position = 0;
  let pending = handle.read(buffers[0], 0, size, 0);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = buffers[which as 0 | 1];
      position += bytesRead;
      which ^= 1;
      if (options.signal?.aborted)
        throw new UfsError('ABORTED', `[ufs] hash "${path}": aborted`, { cause: options.signal.reason });
      pending = handle.read(buffers[which as 0 | 1], 0, size, position);
      hash.update(current.subarray(0, bytesRead));
      options.onProgress?.(position);
    }
  } catch (err) {
    await pending.catch(() => undefined);
    throw toUfsError(err, { operation: 'hash', path });
  } finally {
    giveBack(size, buffers);
    await handle.close();
  }
  return { digest: hash.digest('hex'), size: position };
}

/**
 * The same hash with blocking reads, for a thread whose only job is hashing (a worker): no thread-pool round trip
 * per read, which is most of the cost of small files. One reused buffer; memory stays at `bufferSize`.
 */
export function hashFileSync(path: string, options: Omit<HashFileOptions, 'signal'> = {}): HashResult {
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  const hash = createHash(options.algorithm ?? 'sha256');
  const buffers = takeBuffers(size);
  let fd: number | undefined;
  let position = 0;
  try {
    fd = openSync(path, 'r');
    for (;;) {
      const bytesRead = readSync(fd, buffers[0], 0, size, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      hash.update(buffers[0].subarray(0, bytesRead));
      options.onProgress?.(position);
    }
  } catch (err) {
    throw toUfsError(err, { operation: 'hash', path });
  } finally {
    giveBack(size, buffers);
    if (fd !== undefined) closeSync(fd);
  }
  return { digest: hash.digest('hex'), size: position };
}
