import { createHash } from 'node:crypto';
import { UfsError } from '@org/core';
import type { FileQuery } from '../store/store.js';

/**
 * The query a `GET /files` cursor belongs to: a digest of its filters (hostname, path prefix, hash; not `limit`,
 * which may change from page to page). A cursor is a place in one listing: given with another query it would start
 * the page at a wrong place, so it is refused instead (as the storage library binds its list cursors).
 */
function queryId(query: FileQuery): string {
  const filters = JSON.stringify([query.hostname ?? null, query.pathPrefix ?? null, query.sha256 ?? null]);
  return createHash('sha256').update(filters).digest('base64url').slice(0, 22);
}

/** The cursor a client gets: the store's cursor bound to `query`. */
export function bindListCursor(query: FileQuery, storeCursor: string): string {
  return Buffer.from(JSON.stringify({ of: queryId(query), at: storeCursor })).toString('base64url');
}

/**
 * The store's cursor in a cursor made by bindListCursor for `query`; 400 INVALID_INPUT when it is not one, or when it
 * was made for another query.
 */
export function unbindListCursor(query: FileQuery, cursor: string): string {
  let parsed: { of?: unknown; at?: unknown } | null = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { of?: unknown; at?: unknown } | null;
  } catch {
    // reported below
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.of !== 'string' || typeof parsed.at !== 'string') {
    throw new UfsError('INVALID_INPUT', '[ufs] invalid page cursor (use the cursor of the previous page as is)');
  }
  if (parsed.of !== queryId(query)) {
    throw new UfsError(
      'INVALID_INPUT',
      '[ufs] invalid query: cursor: the cursor belongs to another query; send it with the hostname, path_prefix and ' +
        'sha256 of the request whose next_cursor it was (or none, to start again)',
    );
  }
  return parsed.at;
}
