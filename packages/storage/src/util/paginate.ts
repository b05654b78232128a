import { createHash } from 'node:crypto';
import { UfsError, type EntryStat, type ListOptions, type ListPage, type StorageBackend } from '@org/core';

/** Default number of entries in one list page. */
export const DEFAULT_PAGE_SIZE = 1000;

/**
 * Orders keys segment by segment ("a" < "a/b" < "a-c"), i.e. a depth-first walk with sorted folders. Backends that
 * page through sorted keys use it so a cursor (the last key returned) resumes exactly where the page ended.
 */
export function compareKeys(a: string, b: string): number {
  const x = a.replaceAll('/', '\u0000');
  const y = b.replaceAll('/', '\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The listing a cursor belongs to: the folder listed and whether recursively (and, where the backend binds it,
 * whether with temporary files). A cursor made for one listing and passed to another (another folder, recursive or
 * not, with temporary files or without) would resume at a wrong place: it is refused instead.
 */
export interface CursorListing {
  key: string;
  recursive: boolean;
  /**
   * Whether the listing shows the backend's temporary files (`ListOptions.includeTemporary`). Only `true` changes the
   * cursor, so cursors of listings without temporary files are the same as before this was bound.
   */
  includeTemporary?: boolean;
  /** Makes the INVALID_INPUT error of a refused cursor (the backend's own message prefix); a plain one by default. */
  refuse?: (detail: string) => UfsError;
  /**
   * Where the folder is, when the backend knows it (its mount root, bucket and prefix, archive): a cursor of the same
   * folder key in another place is refused too. Kept in the cursor as a digest only (no server path shown).
   */
  scope?: string;
}

function listingId(listing: CursorListing): string {
  const id = `${listing.recursive ? 'r' : 'l'}${listing.includeTemporary === true ? 't' : ''}:${listing.key}`;
  if (listing.scope === undefined) return id;
  return `${id}@${createHash('sha256').update(listing.scope).digest('base64url').slice(0, 22)}`;
}

/** Why a cursor is refused by `listing`, naming its folder. */
export function foreignCursorDetail(listing: CursorListing): string {
  const kind = listing.recursive ? 'recursive listing' : 'listing';
  return `the cursor belongs to another listing, not to the ${kind} of folder ${JSON.stringify(listing.key)}`;
}

/** Refuses a cursor made for another listing than `listing` (INVALID_INPUT naming the folder). */
export function foreignCursor(listing: CursorListing): UfsError {
  const detail = foreignCursorDetail(listing);
  return (
    listing.refuse?.(detail) ??
    new UfsError('INVALID_INPUT', `[ufs] list ${JSON.stringify(listing.key)}: ${detail}`, {
      context: { operation: 'list', path: listing.key },
    })
  );
}

/** An opaque cursor holding the last key of a page, bound to `listing` when given. */
export function encodeCursor(lastKey: string, listing?: CursorListing): string {
  const body = listing ? { after: lastKey, of: listingId(listing) } : { after: lastKey };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/**
 * Reads a cursor made by `encodeCursor`; INVALID_INPUT when it is not one, or when `listing` is given and the cursor
 * was made for another listing (another folder, or recursive instead of one level or the reverse). `refuse`, when
 * given, makes both errors (the backend's own message prefix and context).
 */
export function decodeCursor(cursor: string, listing?: CursorListing, refuse?: (detail: string) => UfsError): string {
  let parsed: { after?: unknown; of?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown; of?: unknown };
  } catch {
    // reported below
  }
  if (parsed !== null && typeof parsed === 'object' && typeof parsed.after === 'string') {
    if (listing && parsed.of !== listingId(listing))
      throw refuse ? refuse(foreignCursorDetail(listing)) : foreignCursor(listing);
    return parsed.after;
  }
  const detail = `invalid list cursor ${JSON.stringify(cursor)}`;
  throw refuse ? refuse(detail) : new UfsError('INVALID_INPUT', `[ufs] ${detail}`);
}

/**
 * Why a list's `pageSize` option is refused, or undefined when it is absent or a whole number of at least 1: every
 * backend refuses the same values (0, negative, fractional, not a number) with INVALID_INPUT naming the option,
 * before any request, instead of taking some as 1 and refusing them elsewhere.
 */
export function pageSizeRefusal(pageSize: unknown): string | undefined {
  if (pageSize === undefined || (typeof pageSize === 'number' && Number.isSafeInteger(pageSize) && pageSize >= 1))
    return undefined;
  const shown = typeof pageSize === 'number' ? String(pageSize) : (JSON.stringify(pageSize) ?? String(pageSize));
  return `the "pageSize" option must be a whole number of at least 1, got ${shown}`;
}

/**
 * The page size of a listing: `options.pageSize`, or `fallback` when it is not given. A refused one (see
 * `pageSizeRefusal`) is INVALID_INPUT, made by `refuse` when given (the backend's message prefix and context).
 */
export function pageSizeOf(
  options: ListOptions | undefined,
  refuse?: (detail: string) => UfsError,
  fallback = DEFAULT_PAGE_SIZE,
): number {
  const detail = pageSizeRefusal(options?.pageSize);
  if (detail !== undefined)
    throw (
      refuse?.(detail) ?? new UfsError('INVALID_INPUT', `[ufs] list: ${detail}`, { context: { operation: 'list' } })
    );
  return options?.pageSize ?? fallback;
}

/**
 * One page out of entries already sorted with `compareKeys` (in-memory backends, small listings):
 * entries after the cursor, at most `pageSize`, and a cursor when more follow. With `listing`, the cursors made are
 * bound to it and a cursor of another listing is refused (see `decodeCursor`).
 */
export function pageOf(sorted: readonly EntryStat[], options: ListOptions = {}, listing?: CursorListing): ListPage {
  const size = pageSizeOf(options, listing?.refuse);
  let from = 0;
  if (options.cursor !== undefined) {
    const after = decodeCursor(options.cursor, listing);
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(sorted[mid]!.key, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  const entries = sorted.slice(from, from + size);
  const more = from + size < sorted.length;
  return more ? { entries, cursor: encodeCursor(entries[entries.length - 1]!.key, listing) } : { entries };
}

/**
 * Pages through a sorted async sequence (a lazy walk): skips what the cursor already returned, takes `pageSize`
 * entries and peeks one more to know whether a cursor is needed. Stops the walk early. With `listing`, cursors are
 * bound to it as in `pageOf`.
 */
export async function pageFromSequence(
  sequence: AsyncIterable<EntryStat>,
  options: ListOptions = {},
  listing?: CursorListing,
): Promise<ListPage> {
  const size = pageSizeOf(options, listing?.refuse);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, listing);
  const entries: EntryStat[] = [];
  for await (const entry of sequence) {
    if (after !== undefined && compareKeys(entry.key, after) <= 0) continue;
    if (entries.length === size) return { entries, cursor: encodeCursor(entries[size - 1]!.key, listing) };
    entries.push(entry);
  }
  return { entries };
}

/** Follows cursors page after page: every entry of a listing, one page in memory at a time. */
export async function* paginate(
  listPage: (cursor: string | undefined) => Promise<ListPage>,
  signal?: AbortSignal,
): AsyncGenerator<EntryStat> {
  let cursor: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = await listPage(cursor);
    yield* page.entries;
    if (page.cursor !== undefined && page.cursor === cursor) {
      throw new UfsError('UNEXPECTED', '[ufs] a backend returned the same list cursor twice');
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Every entry under `key` of a backend (following its cursors). */
export function listAll(
  backend: StorageBackend,
  key: string,
  options: Omit<ListOptions, 'cursor'> = {},
): AsyncGenerator<EntryStat> {
  return paginate((cursor) => backend.list(key, { ...options, cursor }), options.signal);
}

/** A cursor that is not one of this listing's (not made by `bindToken`, or damaged): INVALID_INPUT naming the folder. */
function invalidCursor(cursor: string, listing: CursorListing): UfsError {
  const detail = `invalid list cursor ${JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor)}`;
  return (
    listing.refuse?.(detail) ??
    new UfsError('INVALID_INPUT', `[ufs] list ${JSON.stringify(listing.key)}: ${detail}`, {
      context: { operation: 'list', path: listing.key },
    })
  );
}

/**
 * A cursor holding a backend's own page token (a continuation token, a page token, an offset) bound to `listing`:
 * `tokenOf` gives the token back only to that listing, so a token is never sent on for another folder.
 */
export function bindToken(token: string, listing: CursorListing): string {
  return Buffer.from(JSON.stringify({ token, of: listingId(listing) }), 'utf8').toString('base64url');
}

/**
 * The page token of a cursor made by `bindToken` for `listing`. INVALID_INPUT naming the folder when the cursor was
 * made for another listing (another folder, place, or recursive instead of one level or the reverse), or is none.
 */
export function tokenOf(cursor: string, listing: CursorListing): string {
  let parsed: { token?: unknown; of?: unknown } | null = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { token?: unknown; of?: unknown };
  } catch {
    // reported below
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.token !== 'string' || parsed.token === '')
    throw invalidCursor(cursor, listing);
  if (parsed.of !== listingId(listing)) throw foreignCursor(listing);
  return parsed.token;
}

/** What a cursor bound to `listing` carries to name it (for cursors of their own shape, as `walkPage`'s). */
export function listingIdOf(listing: CursorListing): string {
  return listingId(listing);
}
