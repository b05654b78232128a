import { isUfsError, UfsError, type EntryStat, type ListOptions, type ListPage, type StorageBackend } from '@org/core';
import { foreignCursor, listingIdOf, pageSizeOf, type CursorListing } from './paginate.js';
import { isLinkEntry } from './links.js';

interface WalkState {
  /** Folders still to list, in order. */
  queue: string[];
  /** Cursor inside the first folder of the queue. */
  inner?: string;
  /** The listing the cursor belongs to (the walked folder, recursive: see util/paginate.ts). */
  of?: string;
}

function encodeWalk(state: WalkState, listing: CursorListing): string {
  return Buffer.from(JSON.stringify({ ...state, of: listingIdOf(listing) })).toString('base64url');
}

/** Whether `folder` is the walked folder `key` or lies below it. */
function inWalk(key: string, folder: string): boolean {
  return key === '' || folder === key || folder.startsWith(`${key}/`);
}

function decodeWalk(cursor: string, listing: CursorListing): WalkState {
  let parsed: WalkState | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as WalkState;
  } catch {
    // reported below
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    Array.isArray(parsed.queue) &&
    parsed.queue.every((k) => typeof k === 'string') &&
    (parsed.inner === undefined || typeof parsed.inner === 'string');
  if (!valid) throw new UfsError('INVALID_INPUT', `[ufs] invalid list cursor ${JSON.stringify(cursor)}`);
  // A walk of another folder (or a one-level cursor) resumes nowhere here: refused, naming the folder.
  if (parsed!.of !== listingIdOf(listing) || !parsed!.queue.every((folder) => inWalk(listing.key, folder)))
    throw foreignCursor(listing);
  return { queue: parsed!.queue, ...(parsed!.inner === undefined ? {} : { inner: parsed!.inner }) };
}

/**
 * Whether a folder below the walked one failed to list because a file now stands there (it was replaced since it
 * was listed): like a folder that is gone, it has nothing below it to walk, and the walk goes on.
 */
async function replacedByFile(
  backend: StorageBackend,
  folder: string,
  err: unknown,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (!isUfsError(err, 'INVALID_INPUT')) return false;
  const now = await backend.stat(folder, { signal }).catch(() => null);
  return now?.isFile === true;
}

/**
 * A recursive listing page built from one-level listings, for backends without native recursive listing.
 * Folders are walked breadth first; the cursor holds the folders still to visit (and the position in the current
 * one), so a listing can stop and resume across calls without holding the tree in memory. A folder removed (or
 * replaced by a file) after it was listed, before its turn, adds nothing: the walk goes on. The cursor belongs to
 * the walk of `key`: one of another folder's walk, or of a one-level listing, is INVALID_INPUT naming the folder
 * (made by `refuse` when given, for the caller's message prefix); the one-level cursor inside it is the backend's
 * own, bound by the backend to its mount. `includeTemporary` is passed to every one-level listing.
 */
export async function walkPage(
  backend: StorageBackend,
  key: string,
  options: ListOptions = {},
  refuse?: CursorListing['refuse'],
): Promise<ListPage> {
  const size = pageSizeOf(options, refuse);
  const listing: CursorListing = { key, recursive: true, ...(refuse ? { refuse } : {}) };
  const state: WalkState = options.cursor === undefined ? { queue: [key] } : decodeWalk(options.cursor, listing);
  const entries: EntryStat[] = [];
  while (state.queue.length > 0 && entries.length < size) {
    options.signal?.throwIfAborted();
    const folder = state.queue[0]!;
    let page: ListPage;
    try {
      page = await backend.list(folder, {
        pageSize: size - entries.length,
        cursor: state.inner,
        signal: options.signal,
        ...(options.includeTemporary ? { includeTemporary: true } : {}),
      });
    } catch (err) {
      if (folder === key || !(await replacedByFile(backend, folder, err, options.signal))) throw err;
      page = { entries: [] };
    }
    for (const entry of page.entries) {
      entries.push(entry);
      // A link to a folder is listed, not walked into (as the local backend's own recursive listing does).
      if (entry.isDir && !isLinkEntry(entry)) state.queue.push(entry.key);
    }
    if (page.cursor === undefined) {
      state.queue.shift();
      delete state.inner;
    } else {
      state.inner = page.cursor;
    }
  }
  return state.queue.length > 0 ? { entries, cursor: encodeWalk(state, listing) } : { entries };
}
