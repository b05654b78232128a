import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  baseName,
  isUfsError,
  isWithin,
  parentKey,
  type DeleteOptions,
  type EntryStat,
  type ErrorContext,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type ReadOptions,
} from '@org/core';
import type { FileStat, Response as DavResponse } from 'webdav';
import { statusOf, ufsError, webdavError } from './errors.js';
import { davPath, entryOf, makeFolders, statOrNull, TEMP_PREFIX, type Dav } from './folders.js';
import { isAddressable, unaddressableEntry } from '../../util/key-names.js';
import { decodeCursor, encodeCursor, pageSizeOf, type CursorListing } from '../../util/paginate.js';

export async function statKey(dav: Dav, key: string, signal?: AbortSignal): Promise<EntryStat | null> {
  const stat = await statOrNull(dav, key, signal);
  return stat ? entryOf(key, stat) : null;
}

/** Keeps bytes [skip, skip+limit) of a stream: for servers that answer a ranged GET with the whole file (200). */
function slice(skip: number, limit: number): Transform {
  let position = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const from = Math.max(0, skip - position);
      const to = Math.min(chunk.length, skip + limit - position);
      position += chunk.length;
      callback(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}

/** GET with a Range header; errors of the body arrive as UfsErrors. A start past the end reads as empty. */
export async function readKey(dav: Dav, key: string, options: ReadOptions, context: ErrorContext): Promise<Readable> {
  const { start, end, signal } = options;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw ufsError('INVALID_INPUT', context, `"${name}" must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw ufsError('INVALID_INPUT', context, `range start ${start} is after end ${end}`);
  }
  const ranged = start !== undefined || end !== undefined;
  const headers: Record<string, string> = {};
  if (ranged) headers.Range = `bytes=${start ?? 0}-${end ?? ''}`;
  let response: DavResponse;
  try {
    response = await dav.client.customRequest(davPath(key), { method: 'GET', headers, signal });
  } catch (err) {
    const status = statusOf(err);
    if (status === 416) return Readable.from([]);
    // A GET of a collection is refused (405, 403 or 400 depending on the server): say what it is, as every backend.
    if (status !== undefined && status !== 404 && status < 500 && status !== 401) {
      const stat = await statOrNull(dav, key, signal).catch(() => null);
      if (key === '' || stat?.type === 'directory')
        throw ufsError('INVALID_INPUT', context, 'is a folder, not a file', err);
    }
    throw err;
  }
  const raw = (response as { body?: unknown }).body;
  const body: Readable =
    raw instanceof Readable ? raw : raw ? Readable.fromWeb(raw as WebReadableStream) : Readable.from([]);
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  body.on('error', (err) => out.destroy(webdavError(err, context, signal)));
  out.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  if (ranged && response.status === 200) {
    const from = start ?? 0;
    body.pipe(slice(from, end === undefined ? Infinity : end - from + 1)).pipe(out);
  } else {
    body.pipe(out);
  }
  return out;
}

// A cursor holds the last key of its page and the listing it belongs to (this folder of this server folder, recursive
// or not: see util/paginate.ts): one of another listing is refused instead of resuming at a wrong place.
// A cursor belongs to its listing: this folder of this server folder, recursive or not, with temporary files or not.
function listingOf(dav: Dav, key: string, options: ListOptions, context: ErrorContext): CursorListing {
  return {
    key,
    recursive: options.recursive === true,
    includeTemporary: options.includeTemporary === true,
    scope: dav.root,
    refuse: (detail) => ufsError('INVALID_INPUT', context, detail),
  };
}

/**
 * The entries below the folder `key` (one level, or all with `deep`). Our own temporary uploads (`.ufs-upload-…`) are
 * left out, unless `includeTemporary`: then they are listed, marked `temporary`, for a cleaner of interrupted uploads.
 */
async function children(
  dav: Dav,
  key: string,
  deep: boolean,
  context: ErrorContext,
  signal?: AbortSignal,
  includeTemporary = false,
): Promise<EntryStat[]> {
  let items: FileStat[];
  try {
    items = (await dav.client.getDirectoryContents(davPath(key), { deep, signal })) as FileStat[];
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return [];
    if (deep && status === 403) {
      throw ufsError(
        'UNSUPPORTED',
        context,
        'the server refuses PROPFIND "Depth: infinity"; set "depthInfinity": false',
        err,
      );
    }
    throw err;
  }
  const entries = items.map((item) => entryOf(item.filename.replace(/^\/+/, ''), item));
  // PROPFIND on a file answers with the file itself.
  if (entries.some((e) => e.key === key && e.isFile))
    throw ufsError('INVALID_INPUT', context, `"${key}" is a file, not a folder`);
  const listed = entries.filter(
    (e) =>
      e.key !== key &&
      isWithin(key, e.key) &&
      (deep || parentKey(e.key) === key) &&
      (includeTemporary || !e.key.split('/').some((segment) => segment.startsWith(TEMP_PREFIX))),
  );
  if (includeTemporary)
    for (const e of listed) if (e.isFile && baseName(e.key).startsWith(TEMP_PREFIX)) e.temporary = true;
  // A name not in NFC (`cafe\u0301.txt`, as a Mac writes it) is reached by no path (a path is NFC, another name on
  // the server): reported, as Azure and S3 report such keys, never listed under a path that names nothing.
  const site = { mount: typeof context.mount === 'string' ? context.mount : 'webdav', protocol: 'webdav' };
  return listed.map((e) => (isAddressable(e.key) ? e : unaddressableEntry(site, e.key)));
}

/**
 * One page of a folder (PROPFIND Depth 1; Depth infinity for recursive listings when the mount allows it). WebDAV
 * has no paging: the folder is read whole, and what follows a page is kept briefly for the next one (ListingRest).
 * A cursor (the last key of the previous page) whose rest is gone re-reads the folder and resumes after it.
 */
export async function listKey(dav: Dav, key: string, options: ListOptions, context: ErrorContext): Promise<ListPage> {
  if (options.recursive && !dav.depthInfinity) {
    throw ufsError(
      'UNSUPPORTED',
      context,
      'recursive listing needs PROPFIND "Depth: infinity", off for this mount ("depthInfinity": true if the server allows it)',
    );
  }
  const pageSize = pageSizeOf(options, (detail) => ufsError('INVALID_INPUT', context, detail));
  const bound = listingOf(dav, key, options, context);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, bound, bound.refuse);
  const withTemporary = options.includeTemporary === true;
  // The rest of a listing with temporary files is kept apart from that of one without.
  const listing = `${options.recursive === true}\u0000${withTemporary}\u0000${key}`;
  const all =
    (options.cursor === undefined ? undefined : dav.rests.take(listing, options.cursor)) ??
    (await children(dav, key, options.recursive === true, context, options.signal, withTemporary))
      .filter((e) => after === undefined || e.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (all.length <= pageSize) return { entries: all };
  const entries = all.slice(0, pageSize);
  const cursor = encodeCursor(entries.at(-1)!.key, bound);
  dav.rests.keep(listing, cursor, all.slice(pageSize));
  return { entries, cursor };
}

async function deleteQuietly(dav: Dav, key: string, signal?: AbortSignal): Promise<void> {
  try {
    await dav.client.deleteFile(davPath(key), { signal });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

/**
 * DELETE. Collections are deleted with everything below them (RFC 4918 §9.6), so a non-recursive delete of a
 * non-empty folder is refused here (INVALID_INPUT, as on every backend). A 207 answer means some members could not be
 * deleted: checked, and reported.
 */
export async function deleteKey(dav: Dav, key: string, options: DeleteOptions, context: ErrorContext): Promise<void> {
  const { signal } = options;
  if (key === '') {
    if (!options.recursive) throw ufsError('INVALID_INPUT', context, 'cannot delete the mount root');
    for (const child of await children(dav, '', false, context, signal))
      await deleteKey(dav, child.key, options, context);
    return;
  }
  const stat = await statOrNull(dav, key, signal);
  if (!stat) return;
  if (stat.type !== 'directory') return deleteQuietly(dav, key, signal);
  if (!options.recursive && (await children(dav, key, false, context, signal)).length > 0) {
    throw ufsError('INVALID_INPUT', context, `folder "${key}" is not empty; delete it with { recursive: true }`);
  }
  await deleteQuietly(dav, key, signal);
  if (await statOrNull(dav, key, signal)) {
    throw ufsError('UNEXPECTED', context, `the server did not delete everything in "${key}" (multi-status answer)`);
  }
}

export async function mkdirKey(dav: Dav, key: string, options: MkdirOptions, context: ErrorContext): Promise<void> {
  const existing = key === '' ? ({ type: 'directory' } as const) : await statOrNull(dav, key);
  if (existing) {
    if (existing.type === 'directory' && options.existOk) return;
    throw ufsError(
      'ALREADY_EXISTS',
      context,
      existing.type === 'directory' ? `folder "${key}" already exists` : `a file is at "${key}"`,
    );
  }
  if (options.parents) return makeFolders(dav, key, context);
  try {
    await dav.client.createDirectory(davPath(key));
  } catch (err) {
    const status = statusOf(err);
    if (status === 409 || status === 403) {
      // 409 is a parent that is not a folder (RFC 4918 §9.3.1): missing, or a file (Apache mod_dav answers so); some
      // servers (webdav-server) answer 403 for a file in the way. A file among the parents is said as on every backend.
      const file = await fileAbove(dav, key);
      if (file !== undefined) throw ufsError('INVALID_INPUT', context, `"${file}" is a file, not a folder`, err);
      if (status === 403) throw err;
      throw ufsError(
        'NOT_FOUND',
        { ...context, missing: `${String(context.mount)}:${parentKey(key)}` },
        `parent folder "${parentKey(key)}" does not exist (use { parents: true })`,
        err,
      );
    }
    if (status !== 405) throw err;
    const now = await statOrNull(dav, key);
    if (now?.type === 'directory' && options.existOk) return;
    throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, err);
  }
}

/** The nearest existing parent of `key` when it is a file (undefined when it is a folder, or none can be read). */
async function fileAbove(dav: Dav, key: string): Promise<string | undefined> {
  for (let k = parentKey(key); k !== ''; k = parentKey(k)) {
    const stat = await statOrNull(dav, k).catch(() => undefined);
    if (stat === undefined) return undefined;
    if (stat) return stat.type === 'directory' ? undefined : k;
  }
  return undefined;
}

/**
 * COPY or MOVE, first with `Overwrite: F`. When something is at the destination (412): a file is replaced (sent
 * again with `Overwrite: T`), a folder is refused (INVALID_INPUT): the server would delete it and all it holds
 * first (RFC 4918 §9.8.4). When the request fails and the destination's parent is missing (RFC 4918 says 409;
 * webdav-server answers 500), the parent is created and the request sent again (no body, so that is safe).
 */
export async function transfer(
  dav: Dav,
  method: 'copy' | 'move',
  from: string,
  to: string,
  context: ErrorContext,
  signal?: AbortSignal,
): Promise<void> {
  if (from === '' || to === '') throw ufsError('INVALID_INPUT', context, `cannot ${method} the mount root`);
  if (isWithin(from, to)) {
    if (from !== to) throw ufsError('INVALID_INPUT', context, `cannot ${method} "${from}" into itself`);
    if (!(await statOrNull(dav, from, signal))) throw ufsError('NOT_FOUND', context, `"${from}" does not exist`);
    return;
  }
  if (baseName(to).startsWith(TEMP_PREFIX))
    throw ufsError('INVALID_INPUT', context, `names starting with ${TEMP_PREFIX} are reserved`);
  const sendOnce = (overwrite: boolean) =>
    method === 'copy'
      ? dav.client.copyFile(davPath(from), davPath(to), { overwrite, signal })
      : dav.client.moveFile(davPath(from), davPath(to), { overwrite, signal });
  const send = async () => {
    try {
      await sendOnce(false);
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      if ((await statOrNull(dav, to, signal))?.type === 'directory')
        throw ufsError('INVALID_INPUT', context, `a folder is at "${to}": a ${method} cannot replace it`, err);
      await sendOnce(true);
    }
  };
  try {
    await send();
  } catch (err) {
    if (isUfsError(err)) throw err;
    if (statusOf(err) === 404 || !(await statOrNull(dav, from, signal))) {
      throw ufsError('NOT_FOUND', context, `"${from}" does not exist`, err);
    }
    const parent = parentKey(to);
    if (parent === '' || (await statOrNull(dav, parent, signal))) throw err;
    await makeFolders(dav, parent, context, signal);
    await send();
  }
}
