import { isUfsError, UfsError, type EntryStat, type ListOptions, type ListPage, type StorageBackend } from '@org/core';
import { pageSizeOf } from './paginate.js';
import { isLinkEntry } from './links.js';

interface WalkState {
  /** Folders still to list, in order. */
  queue: string[];
  /** Cursor inside the first folder of the queue. */
  inner?: string;
}

function encodeWalk(state: WalkState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeWalk(cursor: string): WalkState {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as WalkState;
    if (Array.isArray(parsed.queue) && parsed.queue.every((k) => typeof k === 'string')) return parsed;
  } catch {
    // fall through
  }
  throw new UfsError('INVALID_INPUT', `[ufs] invalid list cursor ${JSON.stringify(cursor)}`);
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
 * replaced by a file) after it was listed, before its turn, adds nothing: the walk goes on.
 */
export async function walkPage(backend: StorageBackend, key: string, options: ListOptions = {}): Promise<ListPage> {
  const size = pageSizeOf(options);
  const state: WalkState = options.cursor === undefined ? { queue: [key] } : decodeWalk(options.cursor);
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
  return state.queue.length > 0 ? { entries, cursor: encodeWalk(state) } : { entries };
}
