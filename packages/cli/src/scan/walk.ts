import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { UfsError, toUfsError } from '@org/core';

export const IGNORE_FILE = '.ufsignore';
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

function ignoreFileIn(dir: string): Matcher | undefined {
  try {
    const text = readFileSync(join(dir, IGNORE_FILE), 'utf8');
    return { base: dir, ig: ignore().add(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Walks files under each root, depth first, one folder open at a time (memory holds the pending folder stack, not
 * the tree). Yields a folder's entries together (one step of the iteration a folder, up to WALK_STEP entries, not one a file: on a rescan
 * answered from the cache the per-file await was a large part of the time): regular files, symbolic links (when
 * not followed) and per-path errors (unreadable folders, vanished entries) instead of stopping. Sockets, FIFOs and
 * devices are skipped.
 */
export async function* walk(roots: readonly string[], options: WalkOptions = {}): AsyncGenerator<WalkEntry[]> {
  const follow = options.followSymlinks ?? false;
  const useIgnoreFiles = options.ignoreFiles ?? true;
  for (const rootArg of roots) {
    const root = resolve(rootArg);
    const rootMatchers: Matcher[] = options.exclude?.length
      ? [{ base: root, ig: ignore().add([...options.exclude]) }]
      : [];
    let rootStats: BigIntStats;
    try {
      rootStats = await (follow ? stat(root, { bigint: true }) : lstat(root, { bigint: true }));
      // A root given on the command line is followed when it is a link to a folder, like `find -H`.
      if (rootStats.isSymbolicLink()) {
        const target = await stat(root, { bigint: true }).catch(() => undefined);
        if (target?.isDirectory()) rootStats = target;
      }
    } catch (err) {
      yield [{ kind: 'error', path: root, error: toUfsError(err, { operation: 'scan', path: root }) }];
      continue;
    }
    if (!rootStats.isDirectory()) {
      const entry = entryFor(root, rootStats, follow);
      if (entry) yield [entry];
      continue;
    }
    const stack: Array<{ dir: string; matchers: Matcher[]; above: Ancestor | undefined }> = [
      { dir: root, matchers: rootMatchers, above: undefined },
    ];
    while (stack.length > 0) {
      const { dir, matchers: inherited, above } = stack.pop()!;
      let matchers = inherited;
      let entries: Dirent[];
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
        if (useIgnoreFiles) {
          const own = ignoreFileIn(dir);
          if (own) matchers = [...inherited, own];
        }
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        yield [{ kind: 'error', path: dir, error: walkError(err, dir) }];
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      let found: WalkEntry[] = [];
      for (const dirent of entries) {
        const path = join(dir, dirent.name);
        let isDir = dirent.isDirectory();
        if (dirent.isSymbolicLink() && follow) {
          isDir = isFolder(path);
        }
        if (isIgnored(matchers, path, isDir)) continue;
        if (isDir) {
          subdirs.push(path);
          continue;
        }
        let stats: BigIntStats;
        try {
          stats = follow ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
        } catch (err) {
          // a dangling link is nothing to follow
          if (!(follow && dirent.isSymbolicLink())) found.push({ kind: 'error', path, error: walkError(err, path) });
          continue;
        }
        const entry = entryFor(path, stats, follow);
        if (entry) found.push(entry);
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

/**
 * An entry the walk cannot read, as its failure. A name that is not valid UTF-8 comes back from the folder listing
 * with U+FFFD in place of its bad bytes, and then names no file (ENOENT): said as such, since the file is there.
 */
function walkError(err: unknown, path: string): UfsError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT' && path.includes('\uFFFD')) {
    return new UfsError(
      'INVALID_INPUT',
      `[ufs] scan "${path}": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`,
      { context: { operation: 'scan', path }, cause: err },
    );
  }
  return toUfsError(err, { operation: 'scan', path });
}

function entryFor(path: string, stats: BigIntStats, follow: boolean): WalkEntry | undefined {
  if (stats.isFile()) return { kind: 'file', path, stats };
  if (stats.isSymbolicLink() && !follow) {
    try {
      return { kind: 'symlink', path, stats, target: readlinkSync(path) };
    } catch (err) {
      return { kind: 'error', path, error: toUfsError(err, { operation: 'scan', path }) };
    }
  }
  // a dangling followed link, a socket, FIFO or device: nothing to catalogue
  return undefined;
}
