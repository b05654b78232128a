import type { EntryStat, ErrorCode, ErrorContext, ListOptions, ListPage } from '@org/core';
import { call, type Session, type SftpDirEntry, type SftpStats } from './connection.js';
import { sftpError, sftpStatus, STATUS, ufsError } from './errors.js';
import { childKey, entryOf, readFolder } from './operations.js';
import { confine, lstatOrNull, remotePath, statOrNull, TEMP_PREFIX } from './paths.js';
import { keyContext } from '../../errors.js';
import { linkEntry } from '../../util/links.js';
import { decodeCursor, encodeCursor, pageSizeOf, type CursorListing } from '../../util/paginate.js';
import { unaddressable } from '../../util/key-names.js';
import { unreadableEntry } from '../../util/unreadable.js';

/**
 * Names a listing shows: no `.`/`..` and no in-progress uploads (unless `includeTemporary`: then they are listed,
 * marked `temporary`). Other names are listed as they are, like every backend does: a name that cannot be a key is
 * left out (and reported) where listings become nodes.
 */
function visible(name: string, includeTemporary: boolean): boolean {
  return name !== '.' && name !== '..' && (includeTemporary || !name.startsWith(TEMP_PREFIX));
}

// A cursor holds the last name of its page and the listing it belongs to (the folder, with temporary files or
// without: see util/paginate.ts): one of another listing is refused instead of resuming at a wrong place.
function listingOf(key: string, includeTemporary: boolean): CursorListing {
  return { key, recursive: false, includeTemporary };
}

/**
 * What a folder was when it was read, as SFTP v3 describes it (no inode, no change time: its modification time in
 * whole seconds, its size and mode): a kept listing of it is resumed only while it is still the same.
 */
interface FolderStamp {
  mtime: number;
  size: number;
  mode: number;
  /** `Date.now()` before the folder was stated and read. */
  readAt: number;
}

/**
 * How long after a folder's last change its read is trusted to hold all of it (as local listings' SETTLED_MS): a
 * change in the same second as the read (SFTP's mtimes are whole seconds; 2 s on FAT) would leave its mtime as it
 * was. The server's clock is taken to be this machine's, give or take a second.
 */
export const SETTLED_MS = 2000;

function stampOf(stats: SftpStats, readAt: number): FolderStamp {
  return { mtime: stats.mtime, size: stats.size, mode: stats.mode, readAt };
}

function settled(stamp: FolderStamp): boolean {
  // The change happened before the end of its whole second.
  return (stamp.mtime + 1) * 1000 <= stamp.readAt - SETTLED_MS;
}

function same(stamp: FolderStamp, now: SftpStats | null): boolean {
  return !!now?.isDirectory() && now.mtime === stamp.mtime && now.size === stamp.size && now.mode === stamp.mode;
}

/** The names of a folder after a page (its items, sorted, from the read of the first page) and what it was then. */
interface KeptListing {
  names: SftpDirEntry[];
  stamp: FolderStamp;
  /** Every name of the folder, when one is not in NFC (see unaddressable). */
  all?: Set<string>;
}

/**
 * What remains of folders listed page by page, per connection (SFTP reads a folder only whole): kept briefly (30 s,
 * up to 16 listings) under the cursor of the next page, taken once, and only while the folder is unchanged.
 */
class KeptListings {
  readonly #kept = new Map<string, { listing: KeptListing; expires: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly max = 16,
  ) {}

  /** Keeps what follows a page; not when the folder was read too soon after its last change (see SETTLED_MS). */
  keep(id: string, listing: KeptListing): void {
    if (!settled(listing.stamp)) return;
    this.#kept.delete(id);
    if (this.#kept.size >= this.max) this.#kept.delete(this.#kept.keys().next().value!);
    this.#kept.set(id, { listing, expires: Date.now() + this.ttlMs });
  }

  /** The listing kept under `id`, once, when the folder at `path` is still as it was read. */
  async take(s: Session, id: string, path: string): Promise<KeptListing | undefined> {
    const kept = this.#kept.get(id);
    if (!kept) return undefined;
    this.#kept.delete(id);
    if (kept.expires <= Date.now()) return undefined;
    return same(kept.listing.stamp, await statOrNull(s, path)) ? kept.listing : undefined;
  }
}

const KEPT = new WeakMap<Session, KeptListings>();

function keptOf(s: Session): KeptListings {
  let kept = KEPT.get(s);
  if (!kept) KEPT.set(s, (kept = new KeptListings()));
  return kept;
}

/** What a non-regular entry is, for the report that leaves it out. */
function kindOf(stats: SftpStats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isCharacterDevice()) return 'a character device';
  return 'an entry of an unknown kind';
}

/**
 * The listed entry of a folder item: a file or a folder, a link as what it points to (marked `isLink`), or an
 * unreadable entry saying why it is left out (a dangling link, a link outside the mount root, a FIFO, a socket, a
 * device), which the node layer reports and a copy counts, as the local backend does. Undefined when it vanished.
 */
async function listed(
  s: Session,
  path: string,
  k: string,
  attrs: SftpStats,
  context: ErrorContext,
): Promise<EntryStat | undefined> {
  const mount = typeof context.mount === 'string' ? context.mount : 'sftp';
  const where = keyContext({ mount, protocol: 'sftp' }, 'list', k);
  const refused = (code: ErrorCode, why: string) => unreadableEntry(k, ufsError(code, where, why));
  if (!attrs.isSymbolicLink()) {
    if (attrs.isFile() || attrs.isDirectory()) return entryOf(k, attrs);
    return refused('UNSUPPORTED', `${kindOf(attrs)}, not a file or folder`);
  }
  // Nothing at the end of the link, while the link itself is still there: as rsync's "symlink has no referent".
  const dangling = async () =>
    (await lstatOrNull(s, path))
      ? refused('NOT_FOUND', 'a dangling symbolic link (its target does not exist)')
      : undefined;
  let real: string;
  try {
    real = await call<string>((cb) => s.sftp.realpath(path, cb));
  } catch (err) {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) return dangling();
    const error = sftpError(err, where, !s.alive);
    if (error.retryable) throw error;
    return unreadableEntry(k, error);
  }
  if (!(real === s.root || real.startsWith(s.root === '/' ? '/' : `${s.root}/`)))
    return refused('PERMISSION_DENIED', 'a symbolic link to outside the mount root (not followed)');
  // OpenSSH resolves a link whose last component is missing: the stat of that path finds nothing.
  const target = await statOrNull(s, real);
  if (!target) return dangling();
  if (target.isFile() || target.isDirectory()) return linkEntry(entryOf(k, target));
  return refused('UNSUPPORTED', `a symbolic link to ${kindOf(target)}, not a file or folder`);
}

/** Entries described ahead of the one being listed (their requests in flight together). */
const LOOKAHEAD = 32;

/** `promise`, its rejection marked handled (it is awaited later, or dropped with the page). */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * One page of the folder, sorted by name. SFTP lists a folder only whole: what follows a page is kept briefly for
 * the next one (KeptListings), as local listings keep their walk. A kept listing is taken only while the folder is
 * unchanged since it was read (same mtime, size and mode), and not kept at all when the folder was read within
 * SETTLED_MS of its last change; else the cursor (the last name of the previous page) re-reads the folder and
 * resumes after it, so that what was added after the cursor is listed and what was removed is not (no entry twice,
 * none missed). An entry of a kept listing is described again (`lstat`) during the page that lists it: a file written
 * to between two pages is listed as it is then, and one gone meanwhile is left out. Symlinks are shown as what they
 * point to (marked `isLink`); what cannot be listed is reported (see `listed`).
 */
export async function listKey(s: Session, key: string, options: ListOptions, context: ErrorContext): Promise<ListPage> {
  if (options.recursive) {
    throw ufsError('UNSUPPORTED', context, 'SFTP has no native recursive listing; list one folder at a time');
  }
  const refuse = (detail: string) => ufsError('INVALID_INPUT', context, detail);
  const pageSize = pageSizeOf(options, refuse);
  const withTemporary = options.includeTemporary ?? false;
  const listing = listingOf(key, withTemporary);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, listing, refuse);
  const folder = remotePath(s, key);
  await confine(s, key, context);
  // The rest of a listing with temporary files is kept apart from that of one without.
  const id = (cursor: string) => `${withTemporary ? 't' : 'l'}\u0000${key}\u0000${cursor}`;
  const kept = options.cursor === undefined ? undefined : await keptOf(s).take(s, id(options.cursor), folder);
  let names: SftpDirEntry[];
  let stamp: FolderStamp | undefined;
  let all: Set<string> | undefined;
  if (kept) {
    ({ names, stamp, all } = kept);
  } else {
    // The folder is stated before it is read: a change between the two leaves a stamp that no longer matches.
    const readAt = Date.now();
    const stats = await statOrNull(s, folder);
    const raw = await readFolder(s, folder);
    options.signal?.throwIfAborted();
    if (!raw) return { entries: [] };
    if (raw === 'file') throw ufsError('INVALID_INPUT', context, `"${key}" is a file, not a folder`);
    // A name not in NFC (from a Mac) is listed under its NFC key, which spelledKey resolves, unless it cannot be.
    if (raw.some((e) => e.filename.normalize('NFC') !== e.filename)) all = new Set(raw.map((e) => e.filename));
    names = raw
      .filter((e) => visible(e.filename, withTemporary) && (after === undefined || e.filename > after))
      .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    stamp = stats?.isDirectory() ? stampOf(stats, readAt) : undefined;
  }
  const describe = async (item: SftpDirEntry): Promise<EntryStat | undefined> => {
    const path = `${folder}/${item.filename}`;
    // Items of a kept listing were read for an earlier page: described as they are now (gone: left out).
    const attrs = kept ? await lstatOrNull(s, path) : item.attrs;
    if (!attrs) return undefined;
    const why = all && unaddressable(item.filename, () => all);
    if (why) {
      const k = childKey(key, item.filename);
      const mount = typeof context.mount === 'string' ? context.mount : 'sftp';
      return unreadableEntry(k, ufsError('INVALID_INPUT', keyContext({ mount, protocol: 'sftp' }, 'list', k), why));
    }
    const entry = await listed(s, path, childKey(key, item.filename), attrs, context);
    if (entry && withTemporary && attrs.isFile() && item.filename.startsWith(TEMP_PREFIX)) entry.temporary = true;
    return entry;
  };
  const entries: EntryStat[] = [];
  const ahead: Promise<EntryStat | undefined>[] = [];
  let queued = 0;
  let index = 0;
  for (; index < names.length && entries.length < pageSize; index++) {
    options.signal?.throwIfAborted();
    // Not more described ahead than the page can still take (each may be gone).
    while (queued < names.length && queued - index < Math.min(LOOKAHEAD, pageSize - entries.length))
      ahead.push(quiet(describe(names[queued++]!)));
    const entry = await ahead.shift()!;
    if (entry) entries.push(entry);
  }
  if (index >= names.length) return { entries };
  const cursor = encodeCursor(names[index - 1]!.filename, listing);
  if (stamp) keptOf(s).keep(id(cursor), { names: names.slice(index), stamp, all });
  return { entries, cursor };
}
