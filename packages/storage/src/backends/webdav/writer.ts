import { randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  parentKey,
  UfsError,
  describeContext,
  type ErrorContext,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import type { FileStat } from 'webdav';
import { statusOf, ufsError } from './errors.js';
import { davPath, makeFolders, statOrNull, TEMP_PREFIX, type Dav } from './folders.js';

type Source = Readable | AsyncIterable<Uint8Array>;

/**
 * The request body: the source counted as it flows (progress, size check). When `size` is given it is sent as
 * Content-Length (servers that refuse chunked uploads need it) and enforced, so a wrong size fails the upload
 * instead of leaving the server waiting for bytes. `graceful`: a failing source ends the body early instead of
 * aborting the request, so the server finishes with the (temporary) file and a DELETE reliably removes it.
 */
function countedBody(
  source: Source,
  options: WriteOptions,
  context: ErrorContext,
  graceful: boolean,
): { body: Transform; loaded(): number; failure(): unknown } {
  let loaded = 0;
  let failure: unknown;
  const { size, onProgress } = options;
  const mismatch = (what: string) =>
    new UfsError('INTEGRITY', `${describeContext(context)} the source ${what} the declared size ${size} bytes`, {
      context,
    });
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      loaded += chunk.length;
      if (size !== undefined && loaded > size) return callback((failure = mismatch('is larger than')) as Error);
      onProgress?.(loaded);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (failure === undefined && size !== undefined && loaded !== size) failure = mismatch('is smaller than');
      callback(failure !== undefined && (size !== undefined || !graceful) ? (failure as Error) : null);
    },
  });
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  input.on('error', (err) => {
    failure ??= err;
    if (graceful && size === undefined) body.end();
    else body.destroy(err);
  });
  body.on('close', () => {
    if (!input.destroyed && !input.readableEnded) input.destroy();
  });
  input.pipe(body);
  return { body, loaded: () => loaded, failure: () => failure };
}

/**
 * Removes a temporary upload. After an aborted PUT the server may still create the file a moment later (the DELETE
 * can overtake it on another connection): look once more and delete again.
 */
async function removeTemp(dav: Dav, key: string): Promise<void> {
  await dav.client.deleteFile(davPath(key)).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 150));
  if (await statOrNull(dav, key).catch(() => null)) await dav.client.deleteFile(davPath(key)).catch(() => undefined);
}

async function put(dav: Dav, key: string, body: Readable, options: WriteOptions, overwrite: boolean): Promise<boolean> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['Content-Type'] = options.contentType;
  if (options.cacheControl) headers['Cache-Control'] = options.cacheControl;
  if (options.size !== undefined) headers['Content-Length'] = String(options.size);
  return dav.client.putFileContents(davPath(key), body, { overwrite, headers, signal: options.signal });
}

/**
 * Checks the size the server reports for what was just uploaded. Catches truncation by proxies and the webdav
 * client's replay of a request whose streamed body was already consumed (a stale digest nonce), which would
 * otherwise store an empty file and answer 201.
 */
async function verifyStored(dav: Dav, key: string, sent: number, context: ErrorContext, signal?: AbortSignal) {
  signal?.throwIfAborted();
  const stored = await statOrNull(dav, key, signal);
  if (stored?.type === 'file' && Number(stored.size) === sent) return;
  throw new UfsError(
    'INTEGRITY',
    `${describeContext(context)} the server stored ${stored ? `${stored.size} bytes` : 'nothing'} of the ${sent} sent`,
    { context, retryable: true },
  );
}

/** How many times a file at the key is deleted and the MOVE sent again before giving up (other writers racing). */
const REPLACE_ATTEMPTS = 5;

/**
 * DELETE of the file at `key` as it was just seen: with `If-Match` on its ETag (when the server gave one), so a
 * conforming server refuses (412) when something else stands there now. Gone already (404) or changed (412): fine,
 * the caller looks again.
 */
async function deleteSeenFile(dav: Dav, key: string, seen: FileStat, signal?: AbortSignal): Promise<void> {
  const headers: Record<string, string> = seen.etag ? { 'If-Match': seen.etag } : {};
  try {
    await dav.client.customRequest(davPath(key), { method: 'DELETE', headers, signal });
  } catch (err) {
    const status = statusOf(err);
    if (status !== 404 && status !== 412) throw err;
  }
}

/**
 * What stands at `key`: its stat, null when nothing is there, or undefined when it could not be seen: a stat that
 * fails while another writer replaces the file (a 5xx, or an answer the library cannot read: "Failed getting item
 * stat: bad response") is one more of the bounded attempts, never the write's error. Any other status (401, 403, …),
 * a network or TLS failure and the caller's abort are the write's error.
 */
async function statWhileReplaced(dav: Dav, key: string, signal?: AbortSignal): Promise<FileStat | null | undefined> {
  try {
    return await statOrNull(dav, key, signal);
  } catch (err) {
    const status = statusOf(err);
    const unreadable = status === undefined ? !hasCode(err) : status >= 500;
    if (signal?.aborted || !unreadable) throw err;
    return undefined;
  }
}

/** Whether the error or one of its causes has a `code` (a network or TLS failure, which is the write's error). */
function hasCode(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if ((current as { code?: unknown }).code !== undefined) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether a MOVE whose answer never came (the connection reset or closed after it was sent) was done by the server:
 * the temporary file is gone and a file of the size sent stands at the key. Anything else, or a look that fails
 * itself, is no: the MOVE's own error stands.
 */
async function movedAnyway(dav: Dav, temp: string, key: string, size: number, signal?: AbortSignal): Promise<boolean> {
  try {
    if ((await statOrNull(dav, temp, signal)) !== null) return false;
    const there = await statOrNull(dav, key, signal);
    return there?.type === 'file' && Number(there.size) === size;
  } catch {
    return false;
  }
}

/**
 * MOVEs the uploaded temporary file onto `key`, always with `Overwrite: F`: `Overwrite: T` makes the server delete
 * whatever is at the destination first, a whole folder too (RFC 4918 §9.9.3), and a folder may appear there after
 * any check (a concurrent write below it). On 412 what is there decides: a folder is refused (INVALID_INPUT), a file
 * is ALREADY_EXISTS for `ifNotExists`, else deleted (only while it is still that file) and the MOVE sent again, a
 * bounded number of times (also when what is there could not be seen: `statWhileReplaced`), then UNAVAILABLE,
 * retryable. A MOVE that failed on the network (no answer) may have been done all the same: `movedAnyway`.
 */
async function moveIntoPlace(
  dav: Dav,
  temp: string,
  key: string,
  size: number,
  ifNotExists: boolean,
  context: ErrorContext,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dav.client.moveFile(davPath(temp), davPath(key), { overwrite: false, signal });
      return;
    } catch (err) {
      if (statusOf(err) === undefined && !signal?.aborted && (await movedAnyway(dav, temp, key, size, signal))) return;
      if (statusOf(err) !== 412) throw err;
      const there = await statWhileReplaced(dav, key, signal);
      if (there?.type === 'directory')
        throw ufsError('INVALID_INPUT', context, 'is a folder, not a file: a write cannot replace it', err);
      if (ifNotExists && there !== undefined) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, err);
      if (attempt >= REPLACE_ATTEMPTS) {
        throw new UfsError(
          'UNAVAILABLE',
          `${describeContext(context)} the file there kept changing: not replaced after ${attempt} attempts`,
          { context, cause: err, retryable: true },
        );
      }
      if (there) await deleteSeenFile(dav, key, there, signal);
      // `undefined`: what is there could not be seen (being replaced): the MOVE is simply sent again.
    }
  }
}

/**
 * Plain mode (`atomicWrites: false`): one PUT to the key itself, with `If-None-Match: *` when nothing was there at
 * the check (and for `ifNotExists`), so that a folder made there meanwhile (a concurrent write below it) is never
 * replaced, even by a server that would answer a PUT onto a folder by replacing it. A refused PUT (412, or the 405
 * or 409 servers answer for a PUT onto a folder) is explained by what is there now: a folder is INVALID_INPUT, like
 * one seen before the PUT; a file is ALREADY_EXISTS for `ifNotExists`, else UNAVAILABLE, retryable (another write
 * made it meanwhile, and a streamed body cannot be sent twice). Every error names the key.
 */
async function putInPlace(
  dav: Dav,
  key: string,
  body: Readable,
  options: WriteOptions,
  overwrite: boolean,
  context: ErrorContext,
): Promise<void> {
  let refusal: unknown;
  try {
    if (await put(dav, key, body, options, overwrite)) return;
  } catch (err) {
    if (statusOf(err) === undefined) throw err;
    refusal = err;
  }
  const there = await statOrNull(dav, key, options.signal).catch(() => undefined);
  if (there?.type === 'directory')
    throw ufsError('INVALID_INPUT', context, 'is a folder, not a file: a write cannot replace it', refusal);
  if (refusal !== undefined && statusOf(refusal) !== 412) throw refusal;
  if (options.ifNotExists) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, refusal);
  throw new UfsError(
    'UNAVAILABLE',
    `${describeContext(context)} another write made a file there while this one was sent: not written`,
    { context, cause: refusal, retryable: true },
  );
}

/**
 * Streams the source to the server. Atomic mode (default): PUT to a temporary name beside the target, then MOVE
 * it into place (`moveIntoPlace`: always `Overwrite: F`, so a folder at the key is never replaced: INVALID_INPUT); the
 * temporary file is deleted on any failure. Plain mode: one PUT to the target (`putInPlace`). Either way the stored
 * size is checked.
 * User metadata is not stored (WebDAV dead properties are not used); content type and cache control are sent as
 * headers, which servers may or may not keep.
 */
export async function writeKey(
  dav: Dav,
  key: string,
  source: Source,
  options: WriteOptions,
  context: ErrorContext,
): Promise<WriteResult> {
  if (key === '') throw ufsError('INVALID_INPUT', context, 'cannot write to the mount root itself');
  options.signal?.throwIfAborted();
  const folder = parentKey(key);
  await makeFolders(dav, folder, context, options.signal);
  // A MOVE (or PUT) onto a collection would replace the whole folder with this file: refused before any byte is sent.
  // Undefined when the file could not be seen (another writer replacing it): atomic mode goes on, as its MOVE never
  // replaces a folder and looks again on 412; a plain PUT could replace one, so it is not sent (UNAVAILABLE).
  const existing = await statWhileReplaced(dav, key, options.signal);
  if (existing === undefined && !dav.atomicWrites)
    throw new UfsError('UNAVAILABLE', `${describeContext(context)} what is there could not be checked: not written`, {
      context,
      retryable: true,
    });
  if (existing?.type === 'directory') {
    throw ufsError('INVALID_INPUT', context, 'is a folder, not a file: a write cannot replace it');
  }
  if (options.ifNotExists && existing) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`);
  const { body, loaded, failure } = countedBody(source, options, context, dav.atomicWrites);
  try {
    if (!dav.atomicWrites) {
      await putInPlace(dav, key, body, options, existing !== null && !options.ifNotExists, context);
      await verifyStored(dav, key, loaded(), context, options.signal);
      return { key, size: loaded() };
    }
    const temp = `${folder === '' ? '' : `${folder}/`}${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
    try {
      await put(dav, temp, body, options, true);
      if (failure() !== undefined) throw failure();
      await verifyStored(dav, temp, loaded(), context, options.signal);
      await moveIntoPlace(dav, temp, key, loaded(), options.ifNotExists === true, context, options.signal);
    } catch (err) {
      await removeTemp(dav, temp);
      throw err;
    }
    return { key, size: loaded() };
  } catch (err) {
    // A failed source surfaces through fetch as a request error: report the source's own error instead.
    const sourceError = failure();
    throw sourceError !== undefined && !(err instanceof UfsError) ? sourceError : err;
  } finally {
    if (!body.destroyed) body.destroy();
  }
}
