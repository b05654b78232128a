import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
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

/** Opened without blocking: a FIFO with no writer would block open() (and read()) forever without O_NONBLOCK. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** What a path is when it is not a regular file, for messages. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * INVALID_INPUT unless the open descriptor's stats say regular file (checked on the descriptor, not the path, so
 * that a path swapped after the open cannot slip through): `[ufs] hash "p": is a FIFO, not a regular file`.
 */
function checkRegular(path: string, stats: Stats): void {
  if (stats.isFile()) return;
  throw new UfsError('INVALID_INPUT', `[ufs] hash "${path}": is ${kindOf(stats)}, not a regular file`, {
    retryable: false,
    context: { operation: 'hash', path },
  });
}

/**
 * Streaming hash of a file. Reads into two reused buffers and hashes one while the next read is in flight
 * (the read runs on libuv's thread pool), so memory stays at 2 × bufferSize whatever the file size.
 * The path is opened with O_NONBLOCK and must be a regular file: a FIFO, socket, device or folder fails at once with
 * INVALID_INPUT ("is a FIFO, not a regular file") instead of blocking forever.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<HashResult> {
  const algorithm = options.algorithm ?? 'sha256';
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  const hash = createHash(algorithm);
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw toUfsError(err, { operation: 'hash', path });
  }
  try {
    checkRegular(path, await handle.stat());
  } catch (err) {
    await handle.close();
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
 * per read, which is most of the cost of small files. One reused buffer; memory stays at `bufferSize`. Opens and
 * refuses what is not a regular file as `hashFile` does, so that a FIFO cannot block the whole thread.
 */
export function hashFileSync(path: string, options: Omit<HashFileOptions, 'signal'> = {}): HashResult {
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  const hash = createHash(options.algorithm ?? 'sha256');
  const buffers = takeBuffers(size);
  let fd: number | undefined;
  let position = 0;
  try {
    fd = openSync(path, OPEN_FLAGS);
    checkRegular(path, fstatSync(fd));
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
