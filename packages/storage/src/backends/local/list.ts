import { channel } from 'node:diagnostics_channel';
import { stat as statCallback, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryStat, ErrorCode, UfsError } from '@org/core';
import { linkEntry } from '../../util/links.js';
import { unreadableEntry, type UnreadableEntry } from '../../util/unreadable.js';
import { unaddressable } from '../../util/key-names.js';
import { namesAsBytes, notUtf8Detail } from './names.js';
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

export interface WalkOptions {
  recursive: boolean;
  /** List our temporary files too (see TEMP_NAME), marked `temporary`. */
  includeTemporary?: boolean;
  /** The real root: links resolving outside it are left out of listings. */
  realRoot: string;
  /** The signal of the page being read (a kept walk gets the signal of each page that resumes it). */
  signal?: AbortSignal;
  /**
   * When given, the folders whose entries the walk holds (read, not yet walked to their end), outermost first: what a
   * kept walk checks before it is resumed (see WalkRests).
   */
  open?: FolderStamp[];
  /** The page of a kept walk (counted up when it is resumed): stats taken ahead for an earlier page are taken again. */
  page?: number;
  /** The entry a kept walk yielded last, and how to describe it again (see refresh). */
  lastYielded?: { entry: EntryStat; again: () => Promise<{ entry: EntryStat } | undefined> };
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

/** `stat` through the callback API: the promise one costs this thread about twice as much per call. */
function statOf(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => statCallback(path, (err, stats) => (err ? reject(err) : resolve(stats))));
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
    const stats = await statOf(path);
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
 * What a folder was when it was read: a kept walk holding its entries is resumed only while the folder is still the
 * same (same inode, same change and modification times).
 */
export interface FolderStamp {
  path: string;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  /** `Date.now()` before the folder was read. */
  readAt: number;
}

/**
 * Every folder a listing reads, as `{ path }` (diagnostics_channel `ufs:local:readdir`): how many times a listing
 * read each folder, for tests and tracing. Costs nothing without a subscriber.
 */
export const READDIR_CHANNEL = 'ufs:local:readdir';
const readdirs = channel(READDIR_CHANNEL);

interface FolderRead {
  dirents: Dirent[];
  stamp?: FolderStamp;
  /** The bytes of the names that are not valid UTF-8 (see namesAsBytes), by their entry. */
  notUtf8?: Map<Dirent, Buffer>;
}

/** A folder's entries, our temporary files left out (unless `includeTemporary`), sorted by name. */
async function readFolder(dir: string, options: WalkOptions): Promise<FolderRead> {
  const readAt = Date.now();
  // Its stat is taken before it is read: a change between the two leaves a stamp that no longer matches (read again).
  const stats = options.open ? await stat(dir) : undefined;
  if (readdirs.hasSubscribers) readdirs.publish({ path: dir });
  let all = await readdir(dir, { withFileTypes: true });
  let notUtf8: Map<Dirent, Buffer> | undefined;
  if (all.some((d) => d.name.includes('\uFFFD'))) ({ dirents: all, notUtf8 } = await namesAsBytes(dir));
  const dirents = options.includeTemporary ? all : all.filter((d) => !TEMP_NAME.test(d.name));
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!stats) return { dirents, notUtf8 };
  const stamp = { path: dir, ino: stats.ino, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, readAt };
  return { dirents, stamp, notUtf8 };
}

/** Entries described ahead of the one being yielded (their stats in flight together): one stat at a time is slow. */
const LOOKAHEAD = 32;

/** `promise`, its rejection marked handled (it is awaited later, or dropped with the walk). */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

type Found = { entry: EntryStat; descend: boolean; path: string; key: string };

/** A folder being walked: its sorted entries, where the walk is in them, and the stats taken ahead. */
interface Frame {
  dir: string;
  dirKey: string;
  dirents: Dirent[];
  notUtf8?: Map<Dirent, Buffer>;
  /** The next entry to yield. */
  index: number;
  /** The next entry to describe ahead. */
  queued: number;
  ahead: Promise<Found | undefined>[];
  /** The page (WalkOptions.page) the stats ahead were taken for. */
  page: number;
  names?: Set<string>;
  /** The entry named by the cursor: returned already, but (recursive) its folder is walked from `childAfter`. */
  resumed?: number;
  childAfter?: string[];
  /** Whether its stamp is in `options.open` (popped with the frame). */
  stamped: boolean;
}

function frameOf(
  dir: string,
  dirKey: string,
  after: string[] | undefined,
  options: WalkOptions,
  folder: FolderRead,
): Frame {
  const { dirents } = folder;
  let start = 0;
  let resumed: number | undefined;
  let childAfter: string[] | undefined;
  if (after) {
    const first = after[0]!;
    while (start < dirents.length && dirents[start]!.name < first) start++;
    if (start < dirents.length && dirents[start]!.name === first) {
      if (!options.recursive) start++;
      else {
        resumed = start;
        childAfter = after.length > 1 ? after.slice(1) : undefined;
      }
    }
  }
  if (folder.stamp) options.open?.push(folder.stamp);
  const page = options.page ?? 0;
  return {
    dir,
    dirKey,
    dirents,
    notUtf8: folder.notUtf8,
    index: start,
    queued: start,
    ahead: [],
    page,
    resumed,
    childAfter,
    stamped: !!folder.stamp,
  };
}

async function describeAt(frame: Frame, index: number, options: WalkOptions): Promise<Found | undefined> {
  const { dirents, dir, dirKey } = frame;
  const dirent = dirents[index]!;
  const path = join(dir, dirent.name);
  const key = dirKey === '' ? dirent.name : `${dirKey}/${dirent.name}`;
  const bytes = frame.notUtf8?.get(dirent);
  const why =
    bytes === undefined
      ? unaddressable(dirent.name, () => (frame.names ??= new Set(dirents.map((d) => d.name))))
      : notUtf8Detail(bytes);
  const found =
    why === undefined ? await describe(dirent, path, key, options) : refused('INVALID_INPUT', key, why, options);
  if (found && options.includeTemporary && dirent.isFile() && TEMP_NAME.test(dirent.name)) found.entry.temporary = true;
  return found && { ...found, path, key };
}

/**
 * Walks a folder depth-first in sorted order (names compared as strings, folders entered right after their own
 * entry), which is the order of `compareKeys`. `after` holds the segments of the last key already returned: the walk
 * resumes right after it, reading only the folders on the way down to it. An entry that cannot be described is
 * yielded as an unreadable entry, a folder whose contents cannot be read as a folder marked unreadable (nothing
 * below it), and one removed meanwhile is left out: one entry never ends the listing. Each folder is read once, and
 * the next entries are described (stat) while one is yielded; stats taken ahead for an earlier page (of a kept walk)
 * are taken again. The folders being walked are a stack of frames in this one generator (not a generator a level),
 * so a tree of any depth is walked without growing the JavaScript stack.
 */
export async function* walk(
  dir: string,
  dirKey: string,
  after: string[] | undefined,
  options: WalkOptions,
): AsyncGenerator<EntryStat> {
  options.signal?.throwIfAborted();
  const base = options.open?.length ?? 0;
  const stack = [frameOf(dir, dirKey, after, options, await readFolder(dir, options))];
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.index >= frame.dirents.length) {
        stack.pop();
        if (frame.stamped) options.open?.pop();
        continue;
      }
      const page = options.page ?? 0;
      if (frame.page !== page) {
        // Resumed for a later page: what was described ahead is described again, during this page.
        frame.ahead = [];
        frame.queued = frame.index;
        frame.page = page;
      }
      const index = frame.index++;
      while (frame.queued < frame.dirents.length && frame.queued < index + LOOKAHEAD)
        frame.ahead.push(quiet(describeAt(frame, frame.queued++, options)));
      const found = await frame.ahead.shift()!;
      if (!found) continue;
      let children: FolderRead | undefined;
      if (found.descend && options.recursive) {
        // Read before the folder is yielded, so that a folder that cannot be read is yielded with the reason.
        try {
          options.signal?.throwIfAborted();
          children = await readFolder(found.path, options);
        } catch (err) {
          if (isMissing(err)) continue;
          const error = entryError(err, found.key, options);
          if (!error) throw err;
          const unread: UnreadableEntry = { ...found.entry, unreadable: error };
          found.entry = unread;
        }
      }
      // The folder's entries are held from here (a walk kept after its own entry resumes into them).
      if (children) {
        const childAfter = index === frame.resumed ? frame.childAfter : undefined;
        stack.push(frameOf(found.path, found.key, childAfter, options, children));
      }
      if (index !== frame.resumed) {
        if (options.open) options.lastYielded = { entry: found.entry, again: () => describeAt(frame, index, options) };
        yield found.entry;
      }
    }
  } finally {
    if (options.open) options.open.length = base;
  }
}

/**
 * How long after a folder's last change its read is trusted to hold all of it: a change in the same tick of the
 * file system's clock (coarse on some, 2 s on FAT) as the read would leave the folder's times as they were.
 */
export const SETTLED_MS = 2000;
