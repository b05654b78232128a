import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { parentKey, UfsError, type ErrorContext, type WriteOptions, type WriteResult } from '@org/core';
import { call, type Session, type SftpStats } from './connection.js';
import { sftpError, sftpStatus, STATUS, ufsError } from './errors.js';
import { confine, lstatOrNull, makeFolders, remotePath, statOrNull, TEMP_PREFIX } from './paths.js';
import { UINT32_SECONDS_RANGE } from '../../util/modified.js';
import { LATE, untilAborted, within } from './waits.js';

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

/** How long a write stopped by its signal waits for the server to close and remove its temporary file. */
export const ABORT_CLEANUP_MS = 300;
/**
 * How long a write that failed otherwise waits to remove its temporary file: on its own session, or, when that
 * connection is lost, on a new one (connecting included).
 */
export const CLEANUP_MS = 5000;

/**
 * Streams a source into an open remote handle from `offset`, with several WRITE requests in flight. Returns the
 * bytes written once every request is acknowledged. An abort or a failed request ends it at once, without waiting
 * for the acknowledgements still under way (a stalled server may never send them): the caller closes and removes
 * the file within a bound (SFTP servers handle a handle's requests in order, so a close sent now comes after them).
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
  // Rejects on the abort or the first failed WRITE: every wait (the source, the acknowledgements) races it.
  let stop: (error: unknown) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  stopped.catch(() => undefined);
  const fail = (error: unknown) => {
    failure ??= { error };
    stop(failure.error);
  };
  const onAbort = () => {
    if (source instanceof Readable) source.destroy(signal?.reason as Error);
    fail(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let finished = false;
  try {
    signal?.throwIfAborted();
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next.done) break;
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      while (inFlight.size >= MAX_IN_FLIGHT || inFlightBytes >= MAX_IN_FLIGHT_BYTES) {
        await Promise.race([...inFlight, stopped]);
      }
      const at = position;
      position += chunk.length;
      inFlightBytes += chunk.length;
      const request: Promise<void> = call<number>((cb) => s.sftp.write(handle, chunk, 0, chunk.length, at, cb))
        .then(() => {
          acknowledged += chunk.length;
          // Not once the write has ended: acknowledgements may still arrive after an abort.
          if (!failure) onProgress?.(acknowledged);
        }, fail)
        .finally(() => {
          inFlight.delete(request);
          inFlightBytes -= chunk.length;
        });
      inFlight.add(request);
    }
    finished = true;
    await Promise.race([Promise.all(inFlight), stopped]);
    if (failure) throw failure.error;
    signal?.throwIfAborted();
    return position - start;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stopped before the source's end: let it go (a stream is destroyed), without waiting for it.
    if (!finished) Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/**
 * Removes the temporary file of a write that failed or was stopped, within `ms`: on the write's own session while it
 * is up (the handle closed, both requests sent at once), else on the connection's next session (a new connection).
 * Undefined once it is gone; else why it is left.
 */
async function removeTemporary(
  s: Session,
  handle: Buffer | undefined,
  path: string,
  ms: number,
): Promise<string | undefined> {
  const started = Date.now();
  const unlink = (on: Session) =>
    call((cb) => on.sftp.unlink(path, cb)).then(
      () => undefined,
      (err: unknown) => (sftpStatus(err) === STATUS.NO_SUCH_FILE ? undefined : err),
    );
  if (s.alive) {
    const closing = handle ? call((cb) => s.sftp.close(handle, cb)).catch(() => undefined) : undefined;
    const outcome = await within(
      Promise.all([closing, unlink(s)]).then(([, failed]) => failed),
      ms,
    );
    if (outcome === LATE) return `no answer within ${ms} ms`;
    if (outcome === undefined) return undefined;
    if (s.alive) return outcome instanceof Error ? outcome.message : String(outcome);
  }
  // The connection is lost: a new one removes the file (the lost one's handle went with it).
  const left = ms - (Date.now() - started);
  const next = s.next;
  if (!next || left <= 0) return 'the connection was lost';
  const outcome = await within(
    next().then(unlink, (err: unknown) => err),
    left,
  );
  if (outcome === LATE) return `the connection was lost and a new one did not answer within ${ms} ms`;
  if (outcome === undefined) return undefined;
  const reason = outcome instanceof Error ? outcome.message : String(outcome);
  return `the connection was lost and a new one could not remove it: ${reason}`;
}

/**
 * What a write that failed (or was stopped) throws, once its temporary file is removed (see removeTemporary); when
 * that file could not be, the error names it, as a key of the mount, so that it can be deleted.
 */
async function cleanedUp(
  s: Session,
  err: unknown,
  handle: Buffer | undefined,
  temp: { path: string; key: string },
  signal: AbortSignal | undefined,
  context: ErrorContext,
): Promise<unknown> {
  const lost = !s.alive;
  const left = await removeTemporary(s, handle, temp.path, signal?.aborted ? ABORT_CLEANUP_MS : CLEANUP_MS);
  if (left === undefined) return err;
  // Tried again by the next connection this process makes, if it makes one.
  s.removeLater?.(temp.path);
  const error = sftpError(err, context, lost, signal);
  const leftover = `${String(context.mount)}:${temp.key}`;
  return new UfsError(
    error.code,
    `${error.message}; its partial upload "${leftover}" could not be removed (${left}): delete it if it is still there`,
    { context: { ...error.context, leftover }, cause: error.cause, retryable: error.retryable },
  );
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
 * time when one is given (fsetstat), is fsynced when the server offers fsync@openssh.com, then renamed into place. A
 * failure or abort removes the temporary file within a bound (see cleanedUp), so readers see the old content or the
 * new, never a part. An abort settles at once, whatever the server answers (or not).
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
  const { signal } = options;
  signal?.throwIfAborted();
  const folder = parentKey(key);
  const target = remotePath(s, key);
  const name = `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
  const temp = {
    path: `${folder === '' && s.root === '/' ? '' : remotePath(s, folder)}/${name}`,
    key: folder === '' ? name : `${folder}/${name}`,
  };
  const opening = (async () => {
    await makeFolders(s, folder, context);
    const existing = await lstatOrNull(s, target);
    if (existing?.isSymbolicLink()) await refuseUnfollowedLink(s, key, context);
    if (options.ifNotExists && existing) {
      throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`);
    }
    return call<Buffer>((cb) => s.sftp.open(temp.path, 'wx', cb));
  })();
  let handle: Buffer | undefined;
  try {
    handle = await untilAborted(opening, signal);
  } catch (err) {
    // Stopped before the temporary file was open: should it open after all, it is closed and removed then.
    if (signal?.aborted)
      void opening.then((late) => removeTemporary(s, late, temp.path, CLEANUP_MS)).catch(() => undefined);
    throw err;
  }
  try {
    const size = await pump(s, handle, source, options);
    if (options.size !== undefined && size !== options.size) {
      throw ufsError('INTEGRITY', context, `the source gave ${size} bytes, not the declared ${options.size}`);
    }
    const open = handle;
    const finishing = (async () => {
      // SFTP v3 times are unsigned 32-bit seconds: a given modification time is kept to the second (access time the
      // same); one the protocol cannot carry is not set (ssh2 would wrap it: 1969 → 2106), like rclone's "can't set".
      const seconds = sftpSeconds(options.mtime);
      if (seconds !== undefined) await call((cb) => s.sftp.futimes(open, seconds, seconds, cb));
      if (fsync && s.fsync) await call((cb) => s.sftp.ext_openssh_fsync(open, cb));
      handle = undefined;
      await call((cb) => s.sftp.close(open, cb));
      await moveInto(s, temp.path, target, options.ifNotExists === true, context, key);
    })();
    await untilAborted(finishing, signal);
    return { key, size };
  } catch (err) {
    throw await cleanedUp(s, err, handle, temp, signal, context);
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
  const path = remotePath(s, key);
  const opening = (async () => {
    await makeFolders(s, parentKey(key), context);
    await confine(s, key, context);
    return call<Buffer>((cb) => s.sftp.open(path, 'a', cb));
  })();
  const close = (handle: Buffer) => call((cb) => s.sftp.close(handle, cb));
  let handle: Buffer;
  try {
    handle = await untilAborted(opening, signal);
  } catch (err) {
    if (signal?.aborted) void opening.then(close).catch(() => undefined);
    throw err;
  }
  try {
    const stats = await untilAborted(
      call<SftpStats>((cb) => s.sftp.fstat(handle, cb)),
      signal,
    );
    if (stats.isDirectory()) throw ufsError('INVALID_INPUT', context, `"${key}" is a folder`);
    await pump(s, handle, source, { offset: stats.size, signal });
  } catch (err) {
    // Closed within a bound: a stalled server must not hold the failure (nor an abort) longer.
    if (s.alive)
      await within(
        close(handle).catch(() => undefined),
        signal?.aborted ? ABORT_CLEANUP_MS : CLEANUP_MS,
      );
    throw err;
  }
  await untilAborted(close(handle), signal);
}
