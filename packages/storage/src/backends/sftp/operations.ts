import { PassThrough, type Readable } from 'node:stream';
import {
  isUfsError,
  isWithin,
  parentKey,
  type DeleteOptions,
  type EntryStat,
  type ErrorCode,
  type ErrorContext,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type ReadOptions,
} from '@org/core';
import { call, type Session, type SftpDirEntry, type SftpStats } from './connection.js';
import { sftpError, sftpStatus, STATUS, ufsError } from './errors.js';
import { confine, lstatOrNull, makeFolders, remotePath, statOrNull, TEMP_PREFIX } from './paths.js';
import { PipelinedRead } from './reader.js';
import { moveInto } from './writer.js';
import { ListingRest } from '../../util/listing-rest.js';
import { foreignCursorDetail, listingIdOf, type CursorListing } from '../../util/paginate.js';
import { keyContext } from '../../errors.js';
import { linkEntry } from '../../util/links.js';
import { unreadableEntry } from '../../util/unreadable.js';

const DEFAULT_PAGE_SIZE = 1000;
/** Unlinks in flight at once while deleting a tree. */
const DELETE_CONCURRENCY = 16;

function entryOf(key: string, stats: SftpStats): EntryStat {
  const isDir = stats.isDirectory();
  return {
    key,
    isFile: stats.isFile(),
    isDir,
    size: isDir ? 0 : stats.size,
    // Unsigned 32-bit seconds as ssh2 reads them (never negative): a server file dated outside 1970–2106 arrives
    // already wrapped by the server (OpenSSH casts st_mtime to u_int32); nothing here can tell it apart.
    mtime: new Date(stats.mtime * 1000),
  };
}

function childKey(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

export async function statKey(s: Session, key: string, context: ErrorContext): Promise<EntryStat | null> {
  try {
    await confine(s, key, context);
  } catch (err) {
    // A link out of the mount root: the link itself is inside and is described (never what it points to).
    const link = isUfsError(err) && err.code === 'PERMISSION_DENIED' ? await unfollowedLink(s, key, context) : null;
    if (link) return link;
    throw err;
  }
  const stats = await statOrNull(s, remotePath(s, key));
  return stats ? entryOf(key, stats) : unfollowedLink(s, key, context);
}

/**
 * A symbolic link that is not followed — dangling, or pointing out of the mount root — is there (as `stat` without
 * -L and `rm` see it, and as on a local mount): described as neither file nor folder, so that it can be deleted (the
 * link itself, see deleteKey), while reading through it finds nothing or is refused. Null when `key` is no link.
 */
async function unfollowedLink(s: Session, key: string, context: ErrorContext): Promise<EntryStat | null> {
  if (key === '') return null;
  await confine(s, parentKey(key), context);
  const stats = await lstatOrNull(s, remotePath(s, key));
  if (!stats?.isSymbolicLink()) return null;
  return linkEntry({ key, isFile: false, isDir: false, size: 0, mtime: new Date(stats.mtime * 1000) });
}

/** A ranged read stream; errors from the SFTP stream arrive mapped to UfsErrors, aborts end it with ABORTED. */
export async function readKey(s: Session, key: string, options: ReadOptions, context: ErrorContext): Promise<Readable> {
  const { start, end, signal } = options;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw ufsError('INVALID_INPUT', context, `"${name}" must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw ufsError('INVALID_INPUT', context, `range start ${start} is after end ${end}`);
  }
  await confine(s, key, context);
  const path = remotePath(s, key);
  const stats = await statOrNull(s, path);
  if (!stats) throw ufsError('NOT_FOUND', context, 'no such file');
  if (stats.isDirectory()) throw ufsError('INVALID_INPUT', context, `"${key}" is a folder, not a file`);
  signal?.throwIfAborted();
  const handle = await call<Buffer>((cb) => s.sftp.open(path, 'r', cb));
  const source = new PipelinedRead(s.sftp, handle, { start, end });
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const onAbort = () => out.destroy(sftpError(signal?.reason, context, false, signal));
  source.on('error', (err: Error) => out.destroy(sftpError(err, context, !s.alive, signal)));
  out.on('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(out);
  return out;
}

/**
 * Names a listing shows: no `.`/`..` and no in-progress uploads (unless `includeTemporary`: then they are listed,
 * marked `temporary`). Other names are listed as they are, like every backend does: a name that cannot be a key is
 * left out (and reported) where listings become nodes.
 */
function visible(name: string, includeTemporary: boolean): boolean {
  return name !== '.' && name !== '..' && (includeTemporary || !name.startsWith(TEMP_PREFIX));
}

/** A folder's entries; null when nothing is there, 'file' when a file is. */
async function readFolder(s: Session, path: string): Promise<SftpDirEntry[] | 'file' | null> {
  try {
    return await call<SftpDirEntry[]>((cb) => s.sftp.readdir(path, cb));
  } catch (err) {
    const status = sftpStatus(err);
    if (status !== STATUS.NO_SUCH_FILE && status !== STATUS.FAILURE) throw err;
    // OpenSSH answers "no such file" for a file too (ENOTDIR), other servers a plain failure.
    const stats = await statOrNull(s, path);
    if (stats && !stats.isDirectory()) return 'file';
    if (status === STATUS.NO_SUCH_FILE) return null;
    throw err;
  }
}

/** The entries of a folder known to be one (nothing when it went away meanwhile). */
async function entriesOf(s: Session, path: string): Promise<SftpDirEntry[]> {
  const entries = await readFolder(s, path);
  return Array.isArray(entries) ? entries : [];
}

// A cursor holds the last name of its page and the listing it belongs to (the folder, with temporary files or
// without: see util/paginate.ts): one of another listing is refused instead of resuming at a wrong place.
function listingOf(key: string, includeTemporary: boolean): CursorListing {
  return { key, recursive: false, includeTemporary };
}

function encodeCursor(after: string, listing: CursorListing): string {
  return Buffer.from(JSON.stringify({ after, of: listingIdOf(listing) }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, listing: CursorListing, context: ErrorContext): string {
  let parsed: { after?: unknown; of?: unknown } | null = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown; of?: unknown };
  } catch {
    // reported below
  }
  if (parsed !== null && typeof parsed === 'object' && typeof parsed.after === 'string') {
    if (parsed.of !== listingIdOf(listing)) throw ufsError('INVALID_INPUT', context, foreignCursorDetail(listing));
    return parsed.after;
  }
  throw ufsError('INVALID_INPUT', context, `invalid list cursor ${JSON.stringify(cursor)}`);
}

/** What remains of folders listed page by page, per connection (SFTP reads a folder whole). */
const RESTS = new WeakMap<Session, ListingRest<SftpDirEntry>>();

function restsOf(s: Session): ListingRest<SftpDirEntry> {
  let rests = RESTS.get(s);
  if (!rests) RESTS.set(s, (rests = new ListingRest()));
  return rests;
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

/**
 * One page of the folder, sorted by name. SFTP lists a folder only whole: what follows a page is kept briefly for
 * the next one (ListingRest), and a cursor (the last name of the previous page) whose rest is gone re-reads the
 * folder and resumes after it, so entries added or removed between pages do not shift it. Symlinks are shown as
 * what they point to (marked `isLink`); what cannot be listed is reported (see `listed`).
 */
export async function listKey(s: Session, key: string, options: ListOptions, context: ErrorContext): Promise<ListPage> {
  if (options.recursive) {
    throw ufsError('UNSUPPORTED', context, 'SFTP has no native recursive listing; list one folder at a time');
  }
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw ufsError('INVALID_INPUT', context, `invalid pageSize ${pageSize}`);
  const withTemporary = options.includeTemporary ?? false;
  const listing = listingOf(key, withTemporary);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, listing, context);
  const folder = remotePath(s, key);
  // The rest of a listing with temporary files is kept apart from that of one without.
  const restKey = withTemporary ? `${key}\u0000temporary` : key;
  let names = options.cursor === undefined ? undefined : restsOf(s).take(restKey, options.cursor);
  if (!names) {
    await confine(s, key, context);
    const raw = await readFolder(s, folder);
    options.signal?.throwIfAborted();
    if (!raw) return { entries: [] };
    if (raw === 'file') throw ufsError('INVALID_INPUT', context, `"${key}" is a file, not a folder`);
    names = raw
      .filter((e) => visible(e.filename, withTemporary) && (after === undefined || e.filename > after))
      .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  }
  const entries: EntryStat[] = [];
  let index = 0;
  for (; index < names.length && entries.length < pageSize; index++) {
    const item = names[index]!;
    const entry = await listed(s, `${folder}/${item.filename}`, childKey(key, item.filename), item.attrs, context);
    if (entry && withTemporary && item.attrs.isFile() && item.filename.startsWith(TEMP_PREFIX)) entry.temporary = true;
    if (entry) entries.push(entry);
  }
  if (index >= names.length || entries.length === 0) return { entries };
  const cursor = encodeCursor(names[index - 1]!.filename, listing);
  restsOf(s).keep(restKey, cursor, names.slice(index));
  return { entries, cursor };
}

async function removeTree(s: Session, path: string): Promise<void> {
  const children = await entriesOf(s, path);
  const files = children.filter((c) => c.filename !== '.' && c.filename !== '..' && !c.attrs.isDirectory());
  for (let i = 0; i < files.length; i += DELETE_CONCURRENCY) {
    await Promise.all(
      files.slice(i, i + DELETE_CONCURRENCY).map((f) =>
        call((cb) => s.sftp.unlink(`${path}/${f.filename}`, cb)).catch((err: unknown) => {
          if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
        }),
      ),
    );
  }
  for (const dir of children.filter((c) => c.filename !== '.' && c.filename !== '..' && c.attrs.isDirectory())) {
    await removeTree(s, `${path}/${dir.filename}`);
    await call((cb) => s.sftp.rmdir(`${path}/${dir.filename}`, cb)).catch((err: unknown) => {
      if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
    });
  }
}

/**
 * Deletes a file, a symlink (the link, never its target) or a folder. A non-empty folder needs `recursive`;
 * without it, INVALID_INPUT (as on every backend). Deleting the root with `recursive` empties it and keeps it.
 */
export async function deleteKey(s: Session, key: string, options: DeleteOptions, context: ErrorContext): Promise<void> {
  if (key === '' && !options.recursive) throw ufsError('INVALID_INPUT', context, 'cannot delete the mount root');
  await confine(s, parentKey(key), context);
  const path = remotePath(s, key);
  if (key === '') return removeTree(s, path);
  const stats = await lstatOrNull(s, path);
  if (!stats) return;
  if (!stats.isDirectory()) {
    await call((cb) => s.sftp.unlink(path, cb)).catch((err: unknown) => {
      if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
    });
    return;
  }
  if (options.recursive) {
    await removeTree(s, path);
  } else {
    const inside = (await entriesOf(s, path)).filter((c) => c.filename !== '.' && c.filename !== '..');
    // Only what listings show counts: leftovers of interrupted uploads go with the folder.
    if (inside.some((c) => !c.filename.startsWith(TEMP_PREFIX))) {
      throw ufsError('INVALID_INPUT', context, `folder "${key}" is not empty; delete it with { recursive: true }`);
    }
    await removeTree(s, path);
  }
  await call((cb) => s.sftp.rmdir(path, cb)).catch((err: unknown) => {
    if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
  });
}

export async function mkdirKey(s: Session, key: string, options: MkdirOptions, context: ErrorContext): Promise<void> {
  await confine(s, key, context);
  const path = remotePath(s, key);
  const existing = await statOrNull(s, path);
  if (existing) {
    if (existing.isDirectory() && options.existOk) return;
    throw ufsError(
      'ALREADY_EXISTS',
      context,
      existing.isDirectory() ? `folder "${key}" already exists` : `a file is at "${key}"`,
    );
  }
  if (options.parents) return makeFolders(s, key, context);
  try {
    await call((cb) => s.sftp.mkdir(path, cb));
  } catch (err) {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) {
      const parent = parentKey(key);
      // OpenSSH answers "no such file" below a file too: that parent is there, but is no folder.
      if ((await statOrNull(s, remotePath(s, parent)))?.isDirectory() === false)
        throw ufsError('INVALID_INPUT', context, `"${parent}" is a file, not a folder`, err);
      throw ufsError(
        'NOT_FOUND',
        { ...context, missing: `${String(context.mount)}:${parent}` },
        `parent folder "${parent}" does not exist (use { parents: true })`,
        err,
      );
    }
    const now = sftpStatus(err) === STATUS.FAILURE ? await statOrNull(s, path) : null;
    if (now?.isDirectory() && options.existOk) return;
    if (now) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, err);
    throw err;
  }
}

/** Native rename; the destination's parents are created, an existing destination file is replaced atomically. */
export async function renameKey(s: Session, from: string, to: string, context: ErrorContext): Promise<void> {
  if (from === '' || to === '') throw ufsError('INVALID_INPUT', context, 'cannot rename the mount root');
  if (to !== from && isWithin(from, to)) throw ufsError('INVALID_INPUT', context, `cannot move "${from}" into itself`);
  await confine(s, parentKey(from), context);
  const source = remotePath(s, from);
  if (!(await lstatOrNull(s, source))) throw ufsError('NOT_FOUND', context, `"${from}" does not exist`);
  if (from === to) return;
  await makeFolders(s, parentKey(to), context);
  await moveInto(s, source, remotePath(s, to), false, context, to);
}
