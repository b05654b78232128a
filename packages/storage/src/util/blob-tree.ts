import type { EntryStat, Key } from '@org/core';
import { folderEntry } from './entries.js';
import { isAddressable } from './key-names.js';
import { unreadableOf } from './unreadable.js';

/** One page of a flat (no delimiter) blob listing as the service gives it: names in the service's order. */
export interface FlatPage<T> {
  items: readonly T[];
  /** The service's token of the next page, when one follows. */
  next: string | undefined;
}

export interface BlobTreeRequest<T> {
  /** The listed folder's key, and the name prefix of everything in it (`''` for the root of an unprefixed mount). */
  key: Key;
  prefix: string;
  /** At most this many entries per page. */
  pageSize: number;
  /** The state of a cursor made by `blobTreePage` (the token `tokenOf` gives back), or undefined for the first page. */
  state: string | undefined;
  /** One page of the flat listing from the service's page token (undefined: the first page). */
  fetch: (token: string | undefined) => Promise<FlatPage<T>>;
  /**
   * The service lists from after any name (S3's StartAfter): its page token is the name a page starts after, so a
   * cursor holds the last name consumed as its token (never a page to fetch again and skip into).
   */
  startsAfterName?: boolean;
  name: (item: T) => string;
  /** A blob's entry (a file, or the report of a name no path can name). */
  fileEntry: (item: T) => EntryStat;
  /** A folder marker's (`name/`) entry: undefined when a path names it, else the report of its name. */
  markerEntry: (item: T) => EntryStat | undefined;
}

/** A folder marker lists as its folder: only the report of a marker no path can name is an entry of its own. */
export function unreadableMarker(entry: EntryStat): EntryStat | undefined {
  return unreadableOf(entry) ? entry : undefined;
}

/** What a cursor holds: the service page to fetch again, the last name consumed in it, the last key listed. */
export interface TreeState {
  /** The service's page token ('' for the first page). */
  token: string;
  /** The last name of that page already listed ('' for none). */
  after: string;
  /** Relative to the listed folder: the last key whose folders are out (`a/b/` when only the folders are). */
  last: string;
}

export function encodeTreeState(state: TreeState): string {
  return JSON.stringify([state.token, state.after, state.last]);
}

/** A state of `encodeState`, or (a cursor made before folders were listed) a bare page token of the service. */
export function decodeTreeState(raw: string): TreeState {
  try {
    const parts: unknown = JSON.parse(raw);
    if (Array.isArray(parts) && parts.length === 3 && parts.every((part) => typeof part === 'string'))
      return { token: parts[0] as string, after: parts[1] as string, last: parts[2] as string };
  } catch {
    // a service token
  }
  return { token: raw, after: '', last: '' };
}

/** The folders a name lies in, relative to the listed folder: `a/b/c.txt` and the marker `a/b/` → [a, a/b]. */
function foldersOf(relative: string): string[] {
  const parts = relative.split('/');
  parts.pop();
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Where to go on in a page fetched again: after the name `after` when it is still there, else at the first name
 * after it (UTF-8 byte order, the order of object names; only when `after` was deleted meanwhile).
 */
function resumeIndex(names: readonly string[], after: string): number {
  if (after === '') return 0;
  const at = names.indexOf(after);
  if (at >= 0) return at + 1;
  const mark = Buffer.from(after, 'utf8');
  const next = names.findIndex((name) => Buffer.compare(Buffer.from(name, 'utf8'), mark) > 0);
  return next < 0 ? names.length : next;
}

/**
 * One page of a recursive listing of a blob store from its flat listing (Azure, GCS, S3): the files, and each folder they lie in once, just before its first entry, in the service's name order (names sharing
 * a prefix are contiguous in it, so comparing with the previous name tells which folders are new). Folder markers
 * (`a/b/`) list their folders too, not themselves. A page holds at most `pageSize` entries and one service page is in
 * memory at a time; the cursor state names the service page to fetch again, the last name consumed in it and the
 * last key listed (or, `startsAfterName`, the last name consumed as the token), so a page may end between a folder
 * and its first file and the next goes on exactly there.
 */
export async function blobTreePage<T>(request: BlobTreeRequest<T>): Promise<{ entries: EntryStat[]; state?: string }> {
  const { key, prefix, pageSize } = request;
  const state = request.state === undefined ? { token: '', after: '', last: '' } : decodeTreeState(request.state);
  let { token, after, last } = state;
  let previous = foldersOf(last);
  const entries: EntryStat[] = [];
  const inFolder = (relative: string) => (key === '' ? relative : `${key}/${relative}`);
  const stop = () => ({
    entries,
    state: encodeTreeState(
      request.startsAfterName === true && after !== '' ? { token: after, after: '', last } : { token, after, last },
    ),
  });
  for (;;) {
    const page = await request.fetch(token === '' ? undefined : token);
    const names = page.items.map(request.name);
    for (let i = resumeIndex(names, after); i < page.items.length; i++) {
      const item = page.items[i]!;
      const relative = names[i]!.slice(prefix.length);
      // The listed folder's own marker is passed over.
      if (relative !== '') {
        const folders = foldersOf(relative);
        let same = 0;
        while (same < folders.length && same < previous.length && folders[same] === previous[same]) same++;
        // Below a folder no path can name (`a/` in `a//b.txt`) none can be named: only those above are listed.
        for (const folder of folders.slice(same).filter((f) => isAddressable(f))) {
          if (entries.length >= pageSize) return stop();
          entries.push(folderEntry(inFolder(folder)));
          last = `${folder}/`;
        }
        const own = relative.endsWith('/') ? request.markerEntry(item) : request.fileEntry(item);
        if (own) {
          if (entries.length >= pageSize) return stop();
          entries.push(own);
        }
        previous = folders;
        last = relative;
      }
      after = names[i]!;
    }
    if (page.next === undefined || page.next === '') return { entries };
    token = page.next;
    after = '';
    if (entries.length >= pageSize) return stop();
  }
}
