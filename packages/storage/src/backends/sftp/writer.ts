import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { parentKey, UfsError, type ErrorContext, type WriteOptions, type WriteResult } from '@org/core';
import { call, type Session, type SftpStats } from './connection.js';
import { sftpError, sftpStatus, STATUS, ufsError } from './errors.js';
import { confine, lstatOrNull, makeFolders, remotePath, statOrNull, TEMP_PREFIX } from './paths.js';
import { UINT32_SECONDS_RANGE } from '../../util/modified.js';

type Source = Readable | AsyncIterable<Uint8Array>;

/** At most this many WRITE requests (and bytes) in flight: keeps the pipe full without buffering the file. */
const MAX_IN_FLIGHT = 16;
const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * A modification time as SFTP v3 carries it (whole seconds, rounded down), or undefined when there is none or it
 * is outside the unsigned 32 bits of ATTRS (before 1970, after 2106-02-07T06:28:15Z).
 */
export function sftpSeconds(mtime: Date | undefined): number | undefined {
  const ms = mtime?.getTime();
  if (ms === undefined || !(ms >= UINT32_SECONDS_RANGE.minMs && ms <= UINT32_SECONDS_RANGE.maxMs)) return undefined;
  return Math.floor(ms / 1000);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`write sources yield bytes, got ${typeof chunk}`);
}

/**
 * Streams a source into an open remote handle from `offset`, with several WRITE requests in flight. Returns the
 * bytes written. Waits for every request before returning or throwing, so the handle can be closed safely.
 */
async function pump(
  s: Session,
  handle: Buffer,
  source: Source,
  options: { offset?: number; signal?: AbortSignal; onProgress?: (loaded: number) => void },
): Promise<number> {
  const { signal, onProgress } = options;
  const start = options.offset ?? 0;
  let position = start;
  let acknowledged = 0;
  let inFlightBytes = 0;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const onAbort = () => {
    if (source instanceof Readable) source.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    for await (const raw of source) {
      signal?.throwIfAborted();
      const chunk = toBuffer(raw);
      if (chunk.length === 0) continue;
      while (inFlight.size >= MAX_IN_FLIGHT || inFlightBytes >= MAX_IN_FLIGHT_BYTES) await Promise.race(inFlight);
      if (failure) throw failure.error;
      const at = position;
      position += chunk.length;
      inFlightBytes += chunk.length;
      const request: Promise<void> = call<number>((cb) => s.sftp.write(handle, chunk, 0, chunk.length, at, cb))
        .then(
          () => {
            acknowledged += chunk.length;
            onProgress?.(acknowledged);
          },
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => {
          inFlight.delete(request);
          inFlightBytes -= chunk.length;
        });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    signal?.throwIfAborted();
    return position - start;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(inFlight);
  }
}

async function closeQuietly(s: Session, handle: Buffer): Promise<void> {
  await call((cb) => s.sftp.close(handle, cb)).catch(() => undefined);
}

/**
 * Moves `from` onto `to`. `exclusive`: plain SSH_FXP_RENAME, which SFTP v3 defines to fail when `to` exists
 * (OpenSSH implements it with link(2)+unlink(2), so the check and the rename are one atomic step) →
 * ALREADY_EXISTS. Otherwise posix-rename@openssh.com (rename(2): atomic replace); servers without it get
 * rename, and when the target exists, `replaceAside` (never partial and nothing lost, but the key is briefly
 * missing).
 */
export async function moveInto(
  s: Session,
  from: string,
  to: string,
  exclusive: boolean,
  context: ErrorContext,
  key: string,
): Promise<void> {
  try {
    if (exclusive || !s.posixRename) await call((cb) => s.sftp.rename(from, to, cb));
    else await call((cb) => s.sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (sftpStatus(err) !== STATUS.FAILURE) throw err;
    const existing = await lstatOrNull(s, to);
    if (!existing) throw err;
    if (exclusive) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, err);
    if (existing.isDirectory())
      throw ufsError('INVALID_INPUT', context, 'is a folder, not a file: a write cannot replace it', err);
    if (s.posixRename) throw err;
    await replaceAside(s, from, to, context, key);
  }
}

/**
 * Replaces the file `to` with `from` where rename cannot overwrite: `to` is renamed aside to a hidden backup beside
 * it, `from` is renamed into place, then the backup is removed. When `from` cannot be put in place, the backup is
 * renamed back and the error thrown; when even that fails, the error says where the previous content is kept.
 */
async function replaceAside(s: Session, from: string, to: string, context: ErrorContext, key: string): Promise<void> {
  const folder = posix.dirname(to);
  const backup = `${folder === '/' ? '' : folder}/${TEMP_PREFIX}${randomBytes(8).toString('hex')}.old`;
  await call((cb) => s.sftp.rename(to, backup, cb));
  try {
    await call((cb) => s.sftp.rename(from, to, cb));
  } catch (err) {
    try {
      await call((cb) => s.sftp.rename(backup, to, cb));
    } catch (restoreError) {
      const failed = sftpError(err, context);
      const detail = restoreError instanceof Error ? restoreError.message : String(restoreError);
      throw new UfsError(
        failed.code,
        `${failed.message}; the previous "${key}" could not be put back (${detail}) and is kept as "${backup}"`,
        { context: { ...context, backup }, cause: err, retryable: false },
      );
    }
    throw err;
  }
  // The new file is in place: a backup that cannot be removed is left hidden (listings skip TEMP_PREFIX names).
  await call((cb) => s.sftp.unlink(backup, cb)).catch(() => undefined);
}

/**
 * A write to a symbolic link that is dangling or points out of the mount root is refused, as on a local mount (the
 * rename would silently replace the link with a file). A link to a file inside the root is replaced by the file.
 */
async function refuseUnfollowedLink(s: Session, key: string, context: ErrorContext): Promise<void> {
  await confine(s, key, context);
  if (!(await statOrNull(s, remotePath(s, key))))
    throw ufsError('PERMISSION_DENIED', context, `"${key}" is a dangling symbolic link; refused`);
}

/**
 * Atomic write: the content goes to a temporary file beside the target (opened with O_EXCL), gets its modification
 * time when one is given (fsetstat), is fsynced when the server offers fsync@openssh.com, then renamed into place. A failure or abort removes the temporary file, so
 * readers see the old content or the new, never a part.
 */
export async function writeFile(
  s: Session,
  key: string,
  source: Source,
  options: WriteOptions,
  fsync: boolean,
  context: ErrorContext,
): Promise<WriteResult> {
  if (key === '') throw ufsError('INVALID_INPUT', context, 'cannot write to the mount root itself');
  options.signal?.throwIfAborted();
  const folder = parentKey(key);
  await makeFolders(s, folder, context);
  const target = remotePath(s, key);
  const existing = await lstatOrNull(s, target);
  if (existing?.isSymbolicLink()) await refuseUnfollowedLink(s, key, context);
  if (options.ifNotExists && existing) {
    throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`);
  }
  const temp = `${folder === '' && s.root === '/' ? '' : remotePath(s, folder)}/${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
  let handle: Buffer | undefined = await call<Buffer>((cb) => s.sftp.open(temp, 'wx', cb));
  try {
    const size = await pump(s, handle, source, options);
    if (options.size !== undefined && size !== options.size) {
      throw ufsError('INTEGRITY', context, `the source gave ${size} bytes, not the declared ${options.size}`);
    }
    // SFTP v3 times are unsigned 32-bit seconds: a given modification time is kept to the second (access time the
    // same); one the protocol cannot carry is not set (ssh2 would wrap it: 1969 → 2106), like rclone's "can't set".
    const seconds = sftpSeconds(options.mtime);
    if (seconds !== undefined) await call((cb) => s.sftp.futimes(handle!, seconds, seconds, cb));
    if (fsync && s.fsync) await call((cb) => s.sftp.ext_openssh_fsync(handle!, cb));
    const open = handle;
    handle = undefined;
    await call((cb) => s.sftp.close(open, cb));
    await moveInto(s, temp, target, options.ifNotExists === true, context, key);
    return { key, size };
  } catch (err) {
    if (handle) await closeQuietly(s, handle);
    await call((cb) => s.sftp.unlink(temp, cb)).catch(() => {
      // The connection is gone (the request failed at once): the next session removes the temporary file.
      if (!s.alive) s.removeLater?.(temp);
    });
    throw err;
  }
}

/** Appends at the end of the file (created when missing). Not atomic: an interrupted append leaves what was sent. */
export async function appendFile(
  s: Session,
  key: string,
  source: Source,
  signal: AbortSignal | undefined,
  context: ErrorContext,
): Promise<void> {
  if (key === '') throw ufsError('INVALID_INPUT', context, 'cannot append to the mount root');
  signal?.throwIfAborted();
  await makeFolders(s, parentKey(key), context);
  await confine(s, key, context);
  const path = remotePath(s, key);
  const handle = await call<Buffer>((cb) => s.sftp.open(path, 'a', cb));
  try {
    const stats = await call<SftpStats>((cb) => s.sftp.fstat(handle, cb));
    if (stats.isDirectory()) throw ufsError('INVALID_INPUT', context, `"${key}" is a folder`);
    await pump(s, handle, source, { offset: stats.size, signal });
  } catch (err) {
    await closeQuietly(s, handle);
    throw err;
  }
  await call((cb) => s.sftp.close(handle, cb));
}
