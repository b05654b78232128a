import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describeContext, isUfsError, toUfsError, UfsError, type StorageBackend } from '@org/core';
import { guard, siteOf } from '../node/access.js';
import { keyError } from '../errors.js';
import type { StorageNode } from '../node/storage-node.js';
import type { NodeWriteOptions } from '../node/types.js';
import { openRead } from '../node/read.js';
import { statOrNull } from '../node/stat.js';
import { ensureParent } from '../node/write.js';
import { canKeepModified } from '../util/modified.js';
import { replayable } from '../util/replayable.js';
import { asBuffers } from '../util/streams.js';
import { isStorageNode, type SourceStat } from '../virtual/readable-node.js';
import { sameFile } from './identity.js';
import { sameBackend, sameFileError, type CopyItem, type Operation } from './plan.js';
import type { TransferMethod } from './types.js';

export interface TransferContext {
  operation: Operation;
  overwrite: boolean;
  /** Give the destination the source's modification time where its backend can keep one. */
  preserveModified: boolean;
  signal: AbortSignal;
  /** Bytes that reached the destination (streamed chunks, or a whole file copied server-side). */
  onBytes: (bytes: number) => void;
  /** A write is starting over from the first byte (a retry layer replaying the source). */
  onRestart: () => void;
}

export interface Transferred {
  bytes: number;
  method: TransferMethod;
  /** The files moved, when not one (a folder renamed as a whole: see `renameCase`). */
  files?: number;
}

function alreadyExists(dest: StorageNode, operation: Operation): UfsError {
  return keyError('ALREADY_EXISTS', siteOf(dest), operation, dest.path, 'already exists (overwrite: false)');
}

/**
 * The source's modification time for the destination: when it is to be kept and the destination can keep it (a
 * time outside its `modifiedRange` is not set, never wrapped: the copy keeps the time of its writing).
 */
function keptMtime(dest: StorageNode, stat: SourceStat, context: TransferContext): Date | undefined {
  const { mtime } = stat;
  return context.preserveModified && mtime !== undefined && canKeepModified(dest.backend.capabilities, mtime)
    ? mtime
    : undefined;
}

/**
 * The modification time a streamed write gives the destination. A move onto an existing file that looks like its
 * source (same size, times within 2 s) is written without it: should that file be the source under a name nothing
 * could compare, its new time is what tells `deleteMoved`, and the source is not deleted.
 */
async function streamedMtime(item: CopyItem, stat: SourceStat, context: TransferContext): Promise<Date | undefined> {
  const mtime = keptMtime(item.dest, stat, context);
  if (mtime === undefined || context.operation !== 'move') return mtime;
  const there = await statOrNull(item.dest, context.signal);
  const lookalike =
    there?.isFile === true &&
    there.size === stat.size &&
    there.mtime !== undefined &&
    Math.abs(there.mtime.getTime() - mtime.getTime()) < 2000;
  return lookalike ? undefined : mtime;
}

function can(backend: StorageBackend, op: 'copy' | 'rename'): boolean {
  return backend.capabilities[op] && typeof backend[op] === 'function';
}

/** Runs `cleanup` after a failure; the original error is thrown, naming a cleanup that failed too. */
async function failWith(err: unknown, cleanup: () => Promise<void>): Promise<never> {
  try {
    await cleanup();
  } catch (cleanupError) {
    throw toUfsError(err).withContext({ cleanupError: (cleanupError as Error).message });
  }
  throw err;
}

/** Same backend: a native rename (moves) or a server-side copy, with no byte passing through this process. */
async function inPlace(
  item: CopyItem & { src: StorageNode },
  method: 'copy' | 'rename',
  size: number,
  context: TransferContext,
  mtime?: Date,
): Promise<Transferred> {
  const { src, dest } = item;
  const backend = dest.backend;
  if (!context.overwrite && (await dest.exists())) throw alreadyExists(dest, context.operation);
  await guard(dest, context.operation, async () => {
    await ensureParent(dest, backend);
    if (method === 'rename') await backend.rename!(src.path, dest.path);
    else await backend.copy!(src.path, dest.path, { signal: context.signal, mtime });
  });
  context.onBytes(size);
  return { bytes: size, method };
}

/** A hidden temporary key beside the destination, for backends whose writes are not atomic. */
function tempSibling(dest: StorageNode): StorageNode {
  return dest.parent.child(`.${dest.basename.slice(0, 180)}.ufs-${randomBytes(6).toString('hex')}.part`);
}

/**
 * A failure of the write or the commit of `temp`, naming the destination the user asked for (`dav:a.txt`), not the
 * temporary key the backend was given (`dav:.a.txt.ufs-….part`), which the user never chose and is removed anyway.
 */
function namingDest(err: unknown, temp: StorageNode, dest: StorageNode): unknown {
  const shown = isUfsError(err) ? err.context.path : undefined;
  if (!isUfsError(err) || typeof shown !== 'string' || !shown.endsWith(`:${temp.path}`)) return err;
  // The mount as the backend named it (`mount:key`), with the destination's key.
  const path = `${shown.slice(0, shown.length - temp.path.length)}${dest.path}`;
  return new UfsError(err.code, err.message.split(`"${shown}"`).join(`"${path}"`), {
    context: { ...err.context, path },
    cause: err.cause,
    retryable: err.retryable,
    retryAfterMs: err.retryAfterMs,
  });
}

/** Puts a finished temporary file in place: rename, else server-side copy (keeping `mtime`) then delete. */
async function commit(temp: StorageNode, dest: StorageNode, context: TransferContext, mtime?: Date): Promise<void> {
  if (!context.overwrite && (await dest.exists())) throw alreadyExists(dest, context.operation);
  const backend = dest.backend;
  await guard(dest, context.operation, async () => {
    if (can(backend, 'rename')) return backend.rename!(temp.path, dest.path);
    await backend.copy!(temp.path, dest.path, { signal: context.signal, mtime });
    await backend.delete(temp.path);
  });
}

/**
 * How a stored source differs from the stat the transfer started from (size, modification time, ETag), or
 * undefined when it looks the same.
 */
function changeOf(before: SourceStat, after: SourceStat): string | undefined {
  if (before.size !== undefined && after.size !== before.size)
    return `size changed from ${before.size} to ${String(after.size)} bytes`;
  const [was, now] = [before.mtime?.getTime(), after.mtime?.getTime()];
  if (was !== undefined && now !== undefined && was !== now)
    return `modification time changed from ${before.mtime!.toISOString()} to ${after.mtime!.toISOString()}`;
  if (before.etag !== undefined && after.etag !== undefined && before.etag !== after.etag)
    return `ETag changed from ${before.etag} to ${after.etag}`;
  return undefined;
}

function sourceChanged(operation: Operation, src: StorageNode, detail: string): UfsError {
  const context = { operation, path: src.fullpath };
  return new UfsError('INTEGRITY', `${describeContext(context)} ${detail}`, { context, retryable: false });
}

/**
 * Fails when a stored source is not what its stat said when the transfer started: a different number of bytes was
 * read, or its size, modification time or ETag differ now (rclone's "source file is being updated").
 */
async function checkUnchanged(item: CopyItem, stat: SourceStat, read: number, context: TransferContext): Promise<void> {
  const { src } = item;
  if (!isStorageNode(src)) return;
  const now = await src.stat({ signal: context.signal });
  const change =
    changeOf(stat, now) ??
    (stat.size !== undefined && read !== stat.size ? `${read} bytes were read, not ${stat.size}` : undefined);
  if (change) throw sourceChanged(context.operation, src, `the source file changed while it was read (${change})`);
}

async function* counted(
  source: Readable,
  item: CopyItem,
  stat: SourceStat,
  context: TransferContext,
): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of asBuffers(source)) {
    context.signal.throwIfAborted();
    context.onBytes(chunk.byteLength);
    read += chunk.byteLength;
    yield chunk;
  }
  // Before the write ends: a failure here abandons it, as an abort does (no destination file).
  await checkUnchanged(item, stat, read, context);
}

/**
 * A moved file's source is deleted only when it is still what was read: after a copy onto the same object under
 * a name no location could tell (a local folder served by SFTP under another path), the source has been replaced
 * by the write, and deleting it would delete the only copy.
 */
async function deleteMoved(src: StorageNode, stat: SourceStat, context: TransferContext): Promise<void> {
  const change = changeOf(stat, await src.stat({ signal: context.signal }));
  if (change) {
    const detail =
      `the source changed after it was copied (${change}): it may be the destination under another name, ` +
      'or was updated meanwhile; it was not deleted';
    throw sourceChanged(context.operation, src, detail);
  }
  await src.delete({ signal: context.signal });
}

interface Parked {
  /** Hands the stream over to its consumer; throws the error it emitted meanwhile. */
  take(): Readable;
  /** Closes a stream no consumer took (its errors are still held). */
  close(): void;
}

/**
 * Holds the errors of a stream opened before its consumer reads it: an abort landing in between makes it emit an
 * AbortError with nobody listening, an unhandled 'error' event that would end the process. The error is reported
 * when the consumer takes the stream, as one emitted while it reads. The holder stays after `take()`: between the
 * taking and the consumer's first read (a destination that starts reading only once its upload is set up, as the S3
 * writer does), a stream failing on its first chunk would otherwise have no listener; the consumer still gets that
 * error, from the stream's errored state, when it reads.
 */
function parked(stream: Readable): Parked {
  let error: unknown;
  stream.on('error', (err: unknown) => (error ??= err));
  return {
    take() {
      if (error === undefined) return stream;
      stream.destroy();
      throw error;
    },
    close: () => stream.destroy(),
  };
}

/**
 * Streams the source into the destination, never whole in memory. Atomic backends take the write directly (a
 * failure leaves the old file or nothing); others get a temporary key beside the destination that is renamed (or
 * copied) into place, and removed on failure; a backend with neither gets the write directly and the partial file
 * is deleted on failure. The source is opened before anything is written, and is replayable (a retry layer on the
 * destination may start the write over).
 */
async function streamed(item: CopyItem, stat: SourceStat, context: TransferContext): Promise<Transferred> {
  const { src, dest } = item;
  const backend = dest.backend;
  const caps = backend.capabilities;
  const viaTemp = !caps.atomicWrite && (can(backend, 'rename') || (can(backend, 'copy') && caps.delete));
  const cleanupPartial = !caps.atomicWrite && !viaTemp && caps.delete;
  const target = viaTemp ? tempSibling(dest) : dest;
  // The engine stat-ed the source just before: a stored source's read takes that stat (a resumed read compares
  // with it) instead of making its own.
  const open = () =>
    isStorageNode(src)
      ? openRead(src, { signal: context.signal }, stat)
      : src.openReadStream({ signal: context.signal });
  let first: Parked | undefined = parked(await open());
  let passes = 0;
  const source = replayable(async () => {
    if (passes++ > 0) context.onRestart();
    const opened = first;
    first = undefined;
    const stream = (opened ?? parked(await open())).take();
    return counted(stream, item, stat, context);
  }, stat.size);
  const options: NodeWriteOptions = {
    contentType: stat.contentType,
    cacheControl: stat.cacheControl,
    ifNotExists: !context.overwrite && !viaTemp,
    size: stat.size,
    mtime: await streamedMtime(item, stat, context),
    signal: context.signal,
  };
  if (caps.metadata && stat.metadata && Object.keys(stat.metadata).length > 0) options.metadata = stat.metadata;
  try {
    const outcome = await target.write(source, options);
    if (viaTemp) await commit(target, dest, context, options.mtime);
    return { bytes: outcome.size, method: 'stream' };
  } catch (err) {
    first?.close();
    const ownFile = (err as { code?: unknown }).code !== 'ALREADY_EXISTS';
    if (viaTemp) return failWith(namingDest(err, target, dest), () => target.delete());
    if (cleanupPartial && ownFile) return failWith(err, () => target.delete());
    throw err;
  }
}

/**
 * A move to another case of its own name on a mount that ignores case (`item.caseRename`): one native rename of the
 * file or the whole folder, nothing copied or deleted. The destination is the source itself, so `overwrite: false`
 * does not stop it. A folder's files are counted first (a listing), for the summary.
 */
async function renameCase(item: CopyItem & { src: StorageNode }, stat: SourceStat, context: TransferContext) {
  const { src, dest } = item;
  let files = stat.isDir ? 0 : 1;
  let bytes = stat.isDir ? 0 : (stat.size ?? 0);
  if (stat.isDir) {
    for await (const node of src.list({ recursive: true, signal: context.signal })) {
      if (!node.listed?.isFile) continue;
      files++;
      bytes += node.listed.size ?? 0;
    }
  }
  context.signal.throwIfAborted();
  await guard(dest, context.operation, () => dest.backend.rename!(src.path, dest.path));
  context.onBytes(bytes);
  return { bytes, method: 'rename' as const, files };
}

/**
 * Transfers one file: a native rename for a move within one backend, a server-side copy within one backend, and a
 * streamed read → write otherwise (then, for a move, the source is deleted once the copy is in place). A tree's
 * file that turns out to be its own destination under another name (a link) is refused, never deleted.
 */
export async function transferFile(item: CopyItem, stat: SourceStat, context: TransferContext): Promise<Transferred> {
  const { src } = item;
  const size = stat.size ?? 0;
  if (item.caseRename && isStorageNode(src)) return renameCase({ ...item, src }, stat, context);
  if (item.checkSame && isStorageNode(src) && (await sameFile(src, item.dest)))
    throw sameFileError(context.operation, src, item.dest);
  if (sameBackend(src, item.dest) && src.versionId === undefined) {
    const backend = src.backend;
    if (context.operation === 'move' && can(backend, 'rename')) {
      try {
        return await inPlace({ ...item, src }, 'rename', size, context);
      } catch (err) {
        // This rename cannot be done (two file systems under one local mount): copy, then delete, below.
        if (toUfsError(err).code !== 'UNSUPPORTED') throw err;
      }
    }
    if (can(backend, 'copy')) {
      const done = await inPlace({ ...item, src }, 'copy', size, context, keptMtime(item.dest, stat, context));
      if (context.operation === 'move') await src.delete({ signal: context.signal });
      return done;
    }
  }
  const done = await streamed(item, stat, context);
  if (context.operation === 'move') await deleteMoved(src as StorageNode, stat, context);
  return done;
}
