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

/** An opaque cursor holding the last key of a page. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey })).toString('base64url');
}

/** Reads a cursor made by `encodeCursor`; INVALID_INPUT when it is not one. */
export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (parsed as { after?: unknown }).after;
    if (typeof after === 'string') return after;
  } catch {
    // fall through to the error below
  }
  throw new UfsError('INVALID_INPUT', `[ufs] invalid list cursor ${JSON.stringify(cursor)}`);
}

export function pageSizeOf(options: ListOptions | undefined): number {
  const size = options?.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new UfsError('INVALID_INPUT', `[ufs] invalid pageSize ${String(size)}`);
  return size;
}

/**
 * One page out of entries already sorted with `compareKeys` (in-memory backends, small listings):
 * entries after the cursor, at most `pageSize`, and a cursor when more follow.
 */
export function pageOf(sorted: readonly EntryStat[], options: ListOptions = {}): ListPage {
  const size = pageSizeOf(options);
  let from = 0;
  if (options.cursor !== undefined) {
    const after = decodeCursor(options.cursor);
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
  return more ? { entries, cursor: encodeCursor(entries[entries.length - 1]!.key) } : { entries };
}

/**
 * Pages through a sorted async sequence (a lazy walk): skips what the cursor already returned, takes `pageSize`
 * entries and peeks one more to know whether a cursor is needed. Stops the walk early.
 */
export async function pageFromSequence(
  sequence: AsyncIterable<EntryStat>,
  options: ListOptions = {},
): Promise<ListPage> {
  const size = pageSizeOf(options);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const entries: EntryStat[] = [];
  for await (const entry of sequence) {
    if (after !== undefined && compareKeys(entry.key, after) <= 0) continue;
    if (entries.length === size) return { entries, cursor: encodeCursor(entries[size - 1]!.key) };
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
