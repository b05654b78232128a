import type { EntryStat, Key, UfsError } from '@org/core';
import { keyError, type ErrorSite } from '../errors.js';
import type { BlobPaths } from './blob-paths.js';
import { unreadableEntry, type UnreadableEntry } from './unreadable.js';

/**
 * Why no path can name this key, or undefined when one can. Paths are what `normalizeKey` makes: non-empty segments,
 * none of them `.` or `..`, in Unicode NFC. An object written by another tool with a decomposed name (`cafe\u0301`,
 * as macOS spells it) is reached by no path (the path `café` is the NFC key), and beside an NFC twin it would list
 * as a second entry under the twin's path: such keys are reported, never listed.
 */
export function unaddressableReason(key: string): string | undefined {
  if (key === '') return 'it is empty';
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'it has an empty, "." or ".." segment';
  }
  if (key.normalize('NFC') !== key) return 'it is not in Unicode NFC (a path names its NFC form, another key)';
  return undefined;
}

/** Keys that `normalizeKey` could produce (see unaddressableReason). */
export function isAddressable(key: string): boolean {
  return unaddressableReason(key) === undefined;
}

/** A key quoted as JSON with everything outside printable ASCII escaped (`"cafe\u0301.txt"`). */
export function shownKey(raw: string): string {
  return JSON.stringify(raw).replace(/[^\u0020-\u007e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A listed object (or common prefix, its trailing slash kept) whose name no path can name: an unreadable entry that
 * the node layer reports (`left out of the listing: no path can name the object key "a//b.txt": …`), as S3 does.
 * `raw` is its name below the mount, as it is.
 */
export function unaddressableEntry(site: ErrorSite, raw: string): UnreadableEntry {
  const reason = unaddressableReason(raw.replace(/\/$/, '')) ?? 'it has an empty, "." or ".." segment';
  const error: UfsError = keyError(
    'INVALID_INPUT',
    site,
    'list',
    raw,
    `no path can name the object key ${shownKey(raw)}: ${reason}`,
  );
  return unreadableEntry(raw, error);
}

/**
 * The entry of a name a blob store lists (an object name or a common prefix `a/b/`) below the mount's prefix, or,
 * when no path can name it (an empty segment as in `a//b.txt`, a name not in Unicode NFC), an unreadable entry saying
 * so: the node layer reports it, as S3 does, never passes it over in silence nor lists it under another path.
 */
export function listedBlobEntry(
  paths: BlobPaths,
  name: string,
  site: ErrorSite,
  entry: (key: Key) => EntryStat,
): EntryStat {
  const inside = paths.prefix ? name.slice(paths.prefix.length + 1) : name;
  const key = inside.endsWith('/') ? inside.slice(0, -1) : inside;
  return isAddressable(key) ? entry(key) : unaddressableEntry(site, inside);
}

/**
 * Keys are NFC (see normalizeKey), so a name in another Unicode form (`cafe\u0301`, NFD, as macOS writes it) is
 * listed under its NFC key, and an operation on that key reaches it (`spelled` in local/paths.ts, `spelledKey` in
 * sftp/paths.ts) — unless the folder also holds the NFC name itself, which the key then names (the name exactly as
 * on disk wins, as rclone keeps local names on Linux). Returns why `name` cannot be addressed, or undefined when its key reaches it: such a name is
 * reported, never listed under another entry's path (two entries, one path).
 */
export function unaddressable(name: string, names: () => Set<string>): string | undefined {
  const nfc = name.normalize('NFC');
  if (nfc === name) return undefined;
  const nfd = name.normalize('NFD');
  const present = names();
  if (present.has(nfc))
    return `the name ${shownKey(name)} differs from ${shownKey(nfc)} only in Unicode form: its path names ${shownKey(nfc)}`;
  if (name === nfd) return undefined;
  if (present.has(nfd))
    return `the name ${shownKey(name)} differs from ${shownKey(nfd)} only in Unicode form: its path names ${shownKey(nfd)}`;
  return `the name ${shownKey(name)} mixes Unicode forms (neither NFC nor NFD): no path names it`;
}
