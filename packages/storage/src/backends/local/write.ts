import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, rm, stat, unlink, rename, utimes } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { WriteOptions } from '@org/core';
import { bytesOf } from '../../util/replayable.js';
import { countingTransform, type ByteSource } from '../../util/streams.js';
import { FileWriter } from './file-writer.js';

/**
 * Bytes a file write stream takes before it asks its source to wait. Pieces that arrive while one write is in flight
 * go down in a single `writev`, so a larger buffer means far fewer, larger writes for sources that deliver small
 * pieces (sockets: 16-64 KiB); at the default 16 KiB every piece would be its own trip to the thread pool.
 */
const WRITE_BUFFER = 1 << 20;

/** Temporary names: a random prefix per process and a counter (random bytes per file cost more than the write). */
const TEMP_PREFIX = `.ufs-${randomBytes(6).toString('hex')}-`;
let tempCounter = 0;

function tempPath(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${(tempCounter++).toString(36)}.tmp`);
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats.mode & 0o7777 : undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Moves a finished temporary file into place: `rename` (replacing atomically), or for `ifNotExists` a hard `link`,
 * which fails with EEXIST if anything appeared meanwhile, so the condition holds atomically.
 */
async function commit(temp: string, target: string, ifNotExists: boolean, known?: KnownTarget): Promise<void> {
  if (ifNotExists) {
    await link(temp, target);
    await unlink(temp);
    return;
  }
  const mode = known ? known.mode : await existingMode(target);
  if (mode !== undefined) await chmod(temp, mode);
  await rename(temp, target);
}

/** What the caller already found at the target: its file mode (undefined: no file there) and whether its folder exists. */
export interface KnownTarget {
  mode: number | undefined;
  parentExists: boolean;
}

/**
 * Writes in-memory bytes to a new file: open, write, set the modification time when one is given (access time too,
 * as rclone does), optionally fsync, close (no stream machinery).
 */
async function writeBuffer(path: string, bytes: Buffer, fsync: boolean, mtime: Date | undefined): Promise<void> {
  const handle = await open(path, 'wx', 0o666);
  try {
    await handle.writeFile(bytes);
    if (mtime) await handle.utimes(mtime, mtime);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a source to a temporary file in the target's folder, optionally fsyncs it, then renames it over the target:
 * readers see the old content or the new one, never a part. On any failure the temporary file is removed.
 */
export async function atomicWrite(
  target: string,
  source: ByteSource,
  options: WriteOptions & { fsync: boolean; known?: KnownTarget },
): Promise<number> {
  const { known } = options;
  if (!known?.parentExists) await mkdir(dirname(target), { recursive: true });
  const temp = tempPath(dirname(target));
  const bytes = bytesOf(source);
  if (bytes) {
    try {
      options.signal?.throwIfAborted();
      await writeBuffer(temp, bytes, options.fsync, options.mtime);
      options.signal?.throwIfAborted();
      await commit(temp, target, options.ifNotExists === true, known);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    options.onProgress?.(bytes.byteLength);
    return bytes.byteLength;
  }
  const { onProgress } = options;
  const file = new FileWriter(temp, { flags: 'wx', fsync: options.fsync, highWaterMark: WRITE_BUFFER });
  try {
    // Every stage costs per piece (a socket gives 16-64 KiB pieces): count through a stage only for progress.
    if (onProgress) {
      let size = 0;
      const counter = countingTransform((n) => onProgress((size += n)));
      await pipeline(source, counter, file, { signal: options.signal });
    } else await pipeline(source, file, { signal: options.signal });
    // Before the rename: the file appears with its time already set (rename and link keep it).
    if (options.mtime) await utimes(temp, options.mtime, options.mtime);
    await commit(temp, target, options.ifNotExists === true, known);
  } catch (err) {
    // The stream opens its file asynchronously: wait until it is closed, or the file could appear after the rm.
    // (`once` rejects if the stream reports the same failure again: that error is already being thrown.)
    if (!file.closed) await once(file, 'close').catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  return file.bytesWritten;
}

/**
 * Copies a file through a temporary copy (a reflink where the filesystem has them), then renames it into place; with
 * `mtime`, the copy gets that modification time before the rename.
 */
export async function atomicCopy(source: string, target: string, mtime?: Date): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPath(dirname(target));
  try {
    await copyFile(source, temp, constants.COPYFILE_FICLONE);
    if (mtime) await utimes(temp, mtime, mtime);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Appends a source to a file, creating it (and its folder) when missing. */
export async function appendTo(target: string, source: ByteSource, signal?: AbortSignal): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await pipeline(source, createWriteStream(target, { flags: 'a' }), { signal });
}
