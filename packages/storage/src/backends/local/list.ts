import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryStat, ErrorCode, UfsError } from '@org/core';
import { linkEntry } from '../../util/links.js';
import { unreadableEntry, type UnreadableEntry } from '../../util/unreadable.js';
import { isInside, isMissing } from './paths.js';

/**
 * Names of our own temporary files (`.ufs-<process prefix>-<counter>.tmp`; before, `.ufs-<16 hex>.tmp`): listed only
 * with `includeTemporary` (marked `temporary`), for a cleaner of what a crashed write left behind.
 */
export const TEMP_NAME = /^\.ufs-(?:[0-9a-f]{12}-[0-9a-z]+|[0-9a-f]{16})\.tmp$/;

export function entryOf(key: string, stats: Stats): EntryStat {
  return {
    key,
    isFile: stats.isFile(),
    isDir: stats.isDirectory(),
    size: stats.isFile() ? stats.size : 0,
    mtime: stats.mtime,
    // Size, mtime and inode (as Apache's default): a file replaced by another of the same size and mtime (a copy
    // that keeps its source's time) is a new inode, so a cached or conditional request does not take it for the old.
    etag: stats.isFile()
      ? `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}-${stats.ino.toString(16)}"`
      : undefined,
  };
}

interface WalkOptions {
  recursive: boolean;
  /** List our temporary files too (see TEMP_NAME), marked `temporary`. */
  includeTemporary?: boolean;
  /** The real root: links resolving outside it are left out of listings. */
  realRoot: string;
  signal?: AbortSignal;
  /** The error of one entry, with the mount and key in its context. */
  fail: (err: unknown, key: string) => UfsError;
  /** A refusal of one entry (`detail` says why), with the mount and key in its context. */
  refuse: (code: ErrorCode, key: string, detail: string) => UfsError;
}

/** What a non-regular entry is, for the report that leaves it out. */
export function kindOf(stats: Stats | Dirent): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  return 'an entry of an unknown kind';
}

/** An entry left out of the listing (reported by the node layer, counted by a copy), with why. */
function refused(
  code: ErrorCode,
  key: string,
  detail: string,
  options: WalkOptions,
): { entry: EntryStat; descend: false } {
  return { entry: unreadableEntry(key, options.refuse(code, key, detail)), descend: false };
}

/** Whether a link (at `path`) whose target was not found is still there: then it is dangling, not vanished. */
async function stillThere(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
}

/**
 * The error of one entry that must not end the listing (a link loop, a refused stat, a name too long to resolve),
 * or undefined when the error is transient (too many open files, busy) and the whole listing fails with it, as before.
 */
function entryError(err: unknown, key: string, options: WalkOptions): UfsError | undefined {
  const error = options.fail(err, key);
  return error.retryable ? undefined : error;
}

async function describe(
  dirent: Dirent,
  path: string,
  key: string,
  options: WalkOptions,
): Promise<{ entry: EntryStat; descend: boolean } | undefined> {
  try {
    if (dirent.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(path);
      } catch (err) {
        // Nothing at the end of the link (but the link itself is there): as rsync's "symlink has no referent".
        if (isMissing(err) && (await stillThere(path)))
          return refused('NOT_FOUND', key, 'a dangling symbolic link (its target does not exist)', options);
        throw err;
      }
      if (!isInside(options.realRoot, target))
        return refused('PERMISSION_DENIED', key, 'a symbolic link to outside the mount root (not followed)', options);
      const stats = await stat(target);
      // Links are listed as what they point to (marked isLink), but never walked into (no cycles, no double counting).
      if (stats.isFile() || stats.isDirectory()) return { entry: linkEntry(entryOf(key, stats)), descend: false };
      return refused('UNSUPPORTED', key, `a symbolic link to ${kindOf(stats)}, not a file or folder`, options);
    }
    if (!dirent.isFile() && !dirent.isDirectory())
      return refused('UNSUPPORTED', key, `${kindOf(dirent)}, not a file or folder`, options);
    const stats = await stat(path);
    return { entry: entryOf(key, stats), descend: stats.isDirectory() };
  } catch (err) {
    if (isMissing(err)) return undefined;
    // Listed by its key alone, with the reason: the node layer reports it and the listing goes on.
    const error = entryError(err, key, options);
    if (!error) throw err;
    return { entry: unreadableEntry(key, error), descend: false };
  }
}

/**
 * Keys are NFC (see normalizeKey), so a name in another Unicode form (`cafe\u0301`, NFD, as macOS writes it) is
 * listed under its NFC key, and an operation on that key reaches it (see `spelled` in paths.ts) — unless the folder
 * also holds the NFC name itself, which the key then names (the name exactly as on disk wins, as rclone keeps local
 * names on Linux). Returns why `name` cannot be addressed, or undefined when its key reaches it: such a name is
 * reported, never listed under another entry's path (two entries, one path).
 */
function unaddressable(name: string, names: () => Set<string>): string | undefined {
  const nfc = name.normalize('NFC');
  if (nfc === name) return undefined;
  const nfd = name.normalize('NFD');
  const shown = (text: string) =>
    JSON.stringify(text).replace(/[^\u0020-\u007e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const present = names();
  if (present.has(nfc))
    return `the name ${shown(name)} differs from ${shown(nfc)} only in Unicode form: its path names ${shown(nfc)}`;
  if (name === nfd) return undefined;
  if (present.has(nfd))
    return `the name ${shown(name)} differs from ${shown(nfd)} only in Unicode form: its path names ${shown(nfd)}`;
  return `the name ${shown(name)} mixes Unicode forms (neither NFC nor NFD): no path names it`;
}

/** A folder's entries, our temporary files left out (unless `includeTemporary`), sorted by name. */
async function readFolder(dir: string, includeTemporary = false): Promise<Dirent[]> {
  const all = await readdir(dir, { withFileTypes: true });
  const dirents = includeTemporary ? all : all.filter((d) => !TEMP_NAME.test(d.name));
  return dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Walks a folder depth-first in sorted order (names compared as strings, folders entered right after their own
 * entry), which is the order of `compareKeys`. `after` holds the segments of the last key already returned: the walk
 * resumes right after it, reading only the folders on the way down to it. An entry that cannot be described is
 * yielded as an unreadable entry, a folder whose contents cannot be read as a folder marked unreadable (nothing
 * below it), and one removed meanwhile is left out: one entry never ends the listing.
 */
export async function* walk(
  dir: string,
  dirKey: string,
  after: string[] | undefined,
  options: WalkOptions,
  read?: Dirent[],
): AsyncGenerator<EntryStat> {
  options.signal?.throwIfAborted();
  const dirents = read ?? (await readFolder(dir, options.includeTemporary));
  let pending = after;
  let names: Set<string> | undefined;
  for (const dirent of dirents) {
    let emit = true;
    let childAfter: string[] | undefined;
    if (pending) {
      const first = pending[0]!;
      if (dirent.name < first) continue;
      if (dirent.name === first) {
        emit = false;
        childAfter = pending.length > 1 ? pending.slice(1) : undefined;
        if (pending.length > 1 && !options.recursive) continue;
      }
      pending = undefined;
    }
    const path = join(dir, dirent.name);
    const key = dirKey === '' ? dirent.name : `${dirKey}/${dirent.name}`;
    const why = unaddressable(dirent.name, () => (names ??= new Set(dirents.map((d) => d.name))));
    const found =
      why === undefined ? await describe(dirent, path, key, options) : refused('INVALID_INPUT', key, why, options);
    if (!found) continue;
    if (options.includeTemporary && dirent.isFile() && TEMP_NAME.test(dirent.name)) found.entry.temporary = true;
    let children: Dirent[] | undefined;
    if (found.descend && options.recursive) {
      // Read before the folder is yielded, so that a folder that cannot be read is yielded with the reason.
      try {
        children = await readFolder(path, options.includeTemporary);
      } catch (err) {
        if (isMissing(err)) continue;
        const error = entryError(err, key, options);
        if (!error) throw err;
        const unread: UnreadableEntry = { ...found.entry, unreadable: error };
        found.entry = unread;
      }
    }
    if (emit) yield found.entry;
    if (children) yield* walk(path, key, childAfter, options, children);
  }
}
