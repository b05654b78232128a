import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  type BigIntStats,
  type Dirent,
} from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { UfsError, toUfsError } from '@org/core';

export const IGNORE_FILE = '.ufsignore';
const IGNORE_FILE_NAME = Buffer.from(IGNORE_FILE);
/** Most entries the walk yields in one step. */
const WALK_STEP = 1000;

export interface WalkOptions {
  /** gitignore-style patterns, relative to each root (e.g. `*.tmp`, `node_modules/`, `/build`). */
  exclude?: readonly string[];
  /**
   * Follow symbolic links to files and folders. A link to a folder on the path walked (a loop) is cut; a folder
   * reached through several links is walked under each. Default false: links are recorded as links.
   */
  followSymlinks?: boolean;
  /** Read `.ufsignore` files (gitignore syntax, applying to their folder and below). Default true. */
  ignoreFiles?: boolean;
}

export type WalkEntry =
  | { kind: 'file'; path: string; stats: BigIntStats }
  | { kind: 'symlink'; path: string; stats: BigIntStats; target: string }
  | { kind: 'error'; path: string; error: UfsError };

interface Matcher {
  base: string;
  ig: Ignore;
}

/** A folder on the path being walked (device:inode), with the folder above it: the chain up to the root. */
interface Ancestor {
  id: string;
  parent: Ancestor | undefined;
}

function onPath(chain: Ancestor | undefined, id: string): boolean {
  for (let at = chain; at; at = at.parent) if (at.id === id) return true;
  return false;
}

function isIgnored(matchers: readonly Matcher[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of matchers) {
    const rel = relative(base, path).split(sep).join('/');
    // Outside this matcher's folder: `..` or `../…` (a name such as `..hidden` is inside).
    if (!rel || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) continue;
    const result = ig.test(isDir ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** Whether a path (a link being followed) leads to a folder; a dangling or unreadable link does not. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** gitignore patterns: case-sensitive, as git (core.ignorecase false) and `ufs cp --exclude` match them. */
function patterns(text: string | readonly string[]): Ignore {
  return ignore({ ignorecase: false }).add(typeof text === 'string' ? text : [...text]);
}

/**
 * The rules of the `.ufsignore` in a folder (found in its listing), if it has one. Only a regular file, or a link to
 * one, is an ignore file: a folder so named is walked as a folder (as git does with a `.gitignore` folder), and a
 * FIFO, socket or device is never opened. An ignore file that cannot be read fails its folder, naming the file: the
 * folder is not scanned, since the files its rules leave out are not known.
 */
function ignoreFileIn(dir: string, listing: readonly Dirent<Buffer>[]): Matcher | undefined {
  const dirent = listing.find((d) => d.name.equals(IGNORE_FILE_NAME));
  if (!dirent || !(dirent.isFile() || dirent.isSymbolicLink())) return undefined;
  const path = join(dir, IGNORE_FILE);
  let text: string;
  try {
    // O_NONBLOCK: a FIFO put in its place (or at the end of the link) is found by fstat, not waited on.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) return undefined;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    // a dangling link, or a file removed since the listing: no rules
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const error = toUfsError(err, { operation: 'scan', path });
    throw new UfsError(
      error.code,
      `${error.message}; the ignore file cannot be read, so its folder "${dir}" is not scanned (its rules could leave files out)`,
      { context: error.context, cause: err, retryable: error.retryable },
    );
  }
  return { base: dir, ig: patterns(text) };
}

/**
 * Walks files under each root, depth first, one folder open at a time (memory holds the pending folder stack, not
 * the tree). Yields a folder's entries together (one step of the iteration a folder, up to WALK_STEP entries, not
 * one a file: on a rescan answered from the cache the per-file await was a large part of the time): regular files,
 * symbolic links (when not followed, or dangling) and per-path errors (unreadable folders, vanished entries, names
 * that are not valid UTF-8) instead of stopping. Sockets, FIFOs and devices inside a folder are skipped; given as a
 * root, one fails.
 */
export async function* walk(roots: readonly string[], options: WalkOptions = {}): AsyncGenerator<WalkEntry[]> {
  const follow = options.followSymlinks ?? false;
  const useIgnoreFiles = options.ignoreFiles ?? true;
  for (const rootArg of roots) {
    const root = resolve(rootArg);
    const rootMatchers: Matcher[] = options.exclude?.length ? [{ base: root, ig: patterns(options.exclude) }] : [];
    let rootStats: BigIntStats;
    try {
      rootStats = await lstat(root, { bigint: true });
      // A root given on the command line is followed when it is a link to a folder, like `find -H`; with -L, when
      // it leads anywhere (a dangling link is recorded as a link, as in a folder).
      if (rootStats.isSymbolicLink()) {
        const target = await stat(root, { bigint: true }).catch((err: unknown) => err as NodeJS.ErrnoException);
        if (!(target instanceof Error)) {
          if (follow || target.isDirectory()) rootStats = target;
        } else if (follow && target.code !== 'ENOENT') throw target;
      }
    } catch (err) {
      yield [{ kind: 'error', path: root, error: toUfsError(err, { operation: 'scan', path: root }) }];
      continue;
    }
    if (!rootStats.isDirectory()) {
      yield [entryFor(root, rootStats) ?? notFileOrFolder(root, rootStats)];
      continue;
    }
    const stack: Array<{ dir: string; matchers: Matcher[]; above: Ancestor | undefined }> = [
      { dir: root, matchers: rootMatchers, above: undefined },
    ];
    while (stack.length > 0) {
      const { dir, matchers: inherited, above } = stack.pop()!;
      let matchers = inherited;
      let listing: Dirent<Buffer>[];
      let here: Ancestor;
      try {
        // Blocking calls throughout: file system metadata is usually cached, and each async call would cost a
        // thread-pool round trip; with those the walk, not the hashing, was the slowest part of a scan.
        const dirStats = statSync(dir, { bigint: true });
        const id = `${dirStats.dev}:${dirStats.ino}`;
        // A loop (a followed link, or a bind mount, back to a folder on the current path) is cut; the same folder
        // reached again elsewhere (two links to it) is walked again, as `find -L` does.
        if (onPath(above, id)) continue;
        here = { id, parent: above };
        // Names as bytes: one that is not valid UTF-8 would decode with U+FFFD in place of its bad bytes, and then
        // name no file, or another file whose name really holds U+FFFD.
        listing = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
        if (useIgnoreFiles) {
          const own = ignoreFileIn(dir, listing);
          if (own) matchers = [...inherited, own];
        }
      } catch (err) {
        // the folder, or its ignore file that cannot be read
        const error = toUfsError(err, { operation: 'scan', path: dir });
        yield [{ kind: 'error', path: error.context.path ?? dir, error }];
        continue;
      }
      const entries = listing.map((dirent) => ({ dirent, name: dirent.name.toString('utf8') }));
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      let found: WalkEntry[] = [];
      for (const { dirent, name } of entries) {
        const path = join(dir, name);
        if (name.includes('\uFFFD') && !Buffer.from(name, 'utf8').equals(dirent.name)) {
          if (!isIgnored(matchers, path, dirent.isDirectory())) found.push(notUtf8(path));
        } else {
          let isDir = dirent.isDirectory();
          if (dirent.isSymbolicLink() && follow) isDir = isFolder(path);
          if (isIgnored(matchers, path, isDir)) continue;
          if (isDir) {
            subdirs.push(path);
            continue;
          }
          const entry = entryAt(path, dirent, follow);
          if (entry) found.push(entry);
        }
        // A folder of a million files is handed over in steps, not held whole with every file's stats.
        if (found.length >= WALK_STEP) {
          yield found;
          found = [];
        }
      }
      if (found.length > 0) yield found;
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ dir: subdirs[i]!, matchers, above: here });
    }
  }
}

/** A name listed whose bytes are not valid UTF-8, as its failure (shown with U+FFFD in place of the bad bytes). */
function notUtf8(path: string): WalkEntry {
  return {
    kind: 'error',
    path,
    error: new UfsError(
      'INVALID_INPUT',
      `[ufs] scan "${path}": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`,
      { context: { operation: 'scan', path } },
    ),
  };
}

/** What a folder entry that is not a folder is; undefined for one left out (a socket, FIFO or device). */
function entryAt(path: string, dirent: Dirent<Buffer>, follow: boolean): WalkEntry | undefined {
  let stats: BigIntStats;
  try {
    stats = follow ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
  } catch (err) {
    // -L and a dangling link: nothing to follow, so it is recorded as the link it is (as `find -L` lists it).
    const dangling = follow && dirent.isSymbolicLink() && (err as NodeJS.ErrnoException).code === 'ENOENT';
    try {
      if (!dangling) throw err;
      stats = lstatSync(path, { bigint: true });
    } catch (error) {
      return { kind: 'error', path, error: toUfsError(error, { operation: 'scan', path }) };
    }
  }
  return entryFor(path, stats);
}

/** A file, or a link (not followed, or dangling); undefined for a socket, FIFO or device. */
function entryFor(path: string, stats: BigIntStats): WalkEntry | undefined {
  if (stats.isFile()) return { kind: 'file', path, stats };
  if (stats.isSymbolicLink()) {
    try {
      return { kind: 'symlink', path, stats, target: readlinkSync(path) };
    } catch (err) {
      return { kind: 'error', path, error: toUfsError(err, { operation: 'scan', path }) };
    }
  }
  return undefined;
}

/** A root that is neither a file, a folder nor a link (a FIFO, a socket, a device), as its failure. */
function notFileOrFolder(path: string, stats: BigIntStats): WalkEntry {
  const what = stats.isFIFO()
    ? 'a FIFO'
    : stats.isSocket()
      ? 'a socket'
      : stats.isBlockDevice() || stats.isCharacterDevice()
        ? 'a device'
        : 'of an unknown kind';
  return {
    kind: 'error',
    path,
    error: new UfsError(
      'INVALID_INPUT',
      `[ufs] scan "${path}": not a regular file or folder (${what}); it is not catalogued`,
      { context: { operation: 'scan', path } },
    ),
  };
}
