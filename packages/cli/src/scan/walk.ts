import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UfsError, toUfsError } from '@org/core';
import {
  IGNORE_FILE,
  RulesAbove,
  isIgnored,
  patterns,
  readIgnoreFile,
  verdict,
  type Matcher,
  type Rules,
} from './ignore-rules.js';
import { realLocation, rootName, rootNotUtf8 } from './walk-roots.js';

export { IGNORE_FILE } from './ignore-rules.js';
const IGNORE_FILE_NAME = Buffer.from(IGNORE_FILE);
/** Most entries the walk yields in one step. */
const WALK_STEP = 1000;

export interface WalkOptions {
  /**
   * gitignore-style patterns, relative to each root (e.g. `*.tmp`, `node_modules/`, `/build`), matched against the
   * root's own name too (`-x '*.tmp' t/a.tmp` leaves it out); they win over every `.ufsignore`.
   */
  exclude?: readonly string[];
  /**
   * Follow symbolic links to files and folders. A link to a folder on the path walked (a loop) is reported as a
   * failure and not followed; a folder reached through several links is walked under each. Default false: links are
   * recorded as links.
   */
  followSymlinks?: boolean;
  /**
   * Read `.ufsignore` files (gitignore syntax, applying to their folder and below): those in the trees walked and
   * those of the folders above each root, up to `/`. Default true.
   */
  ignoreFiles?: boolean;
  /** Details for --verbose: roots left out by the rules, or walked as part of another root. */
  onDebug?: (message: string) => void;
}

export type WalkEntry =
  | { kind: 'file'; path: string; stats: BigIntStats }
  | { kind: 'symlink'; path: string; stats: BigIntStats; target: string }
  | { kind: 'error'; path: string; error: UfsError };

/** A folder on the path being walked (device:inode), with the folder above it: the chain up to the root. */
interface Ancestor {
  id: string;
  path: string;
  parent: Ancestor | undefined;
}

function onPath(chain: Ancestor | undefined, id: string): Ancestor | undefined {
  for (let at = chain; at; at = at.parent) if (at.id === id) return at;
  return undefined;
}

/** Whether a path (a link being followed) leads to a folder; a dangling or unreadable link does not. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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
  return readIgnoreFile(dir, `its folder "${dir}"`);
}

/** A root to walk: its path, what it is, and the rules that apply below it. */
type Planned = { kind: 'entry'; entry: WalkEntry } | { kind: 'root'; path: string; rules: Rules; real: string };

/**
 * What each root is, in order: a failure (not found, a name that is not valid UTF-8, an ignore file above it that
 * cannot be read), nothing (left out by --exclude or by the `.ufsignore` files above it, as a walk from `/` would
 * leave it out), or a file or folder to walk. A root that is another one again, or inside a folder root, by real
 * path, is left out: each file is walked once, as part of the folder root that holds it.
 */
async function planRoots(roots: readonly string[], options: WalkOptions): Promise<Planned[]> {
  const follow = options.followSymlinks ?? false;
  const excludes = options.exclude?.length ? patterns(options.exclude) : undefined;
  const above = (options.ignoreFiles ?? true) ? new RulesAbove() : undefined;
  const debug = (message: string) => options.onDebug?.(`scan: ${message}`);
  const planned: Planned[] = [];
  for (const [index, rootArg] of roots.entries()) {
    const root = resolve(rootArg);
    if (rootNotUtf8(rootArg, root, index)) {
      planned.push({ kind: 'entry', entry: notUtf8(root) });
      continue;
    }
    let rootStats: BigIntStats;
    let followed = false;
    let files: readonly Matcher[] = [];
    try {
      rootStats = await lstat(root, { bigint: true });
      // A root given on the command line is followed when it is a link to a folder, like `find -H`; with -L, when
      // it leads anywhere (a dangling link is recorded as a link, as in a folder).
      if (rootStats.isSymbolicLink()) {
        const target = await stat(root, { bigint: true }).catch((err: unknown) => err as NodeJS.ErrnoException);
        if (!(target instanceof Error)) {
          if (follow || target.isDirectory()) [rootStats, followed] = [target, true];
        } else if (follow && target.code !== 'ENOENT') throw target;
      }
      const parent = dirname(root);
      if (above && parent !== root) {
        const inForce = above.inside(parent, root);
        if (inForce.leftOut) {
          debug(`"${root}" left out: the .ufsignore rules above "${inForce.leftOut}" leave that folder out`);
          continue;
        }
        files = inForce.files;
      }
    } catch (err) {
      // the root, or an ignore file above it that cannot be read (named by its path)
      const error = err instanceof UfsError ? err : toUfsError(err, { operation: 'scan', path: root });
      planned.push({ kind: 'entry', entry: { kind: 'error', path: error.context.path ?? root, error } });
      continue;
    }
    const isDir = rootStats.isDirectory();
    // --exclude matches the root's own name (relative to its folder), then the ignore files above it decide
    const name = rootName(rootArg);
    const own =
      excludes && name !== undefined ? verdict({ base: dirname(root), ig: excludes }, root, isDir) : undefined;
    if (own ?? isIgnored({ exclude: undefined, files }, root, isDir)) {
      debug(`"${root}" left out by ${own ? '--exclude' : 'the .ufsignore rules above it'}`);
      continue;
    }
    if (!isDir) {
      planned.push({ kind: 'entry', entry: entryFor(root, rootStats) ?? notFileOrFolder(root, rootStats) });
      continue;
    }
    const rules = { exclude: excludes && { base: root, ig: excludes }, files };
    planned.push({ kind: 'root', path: root, rules, real: realLocation(root, followed) });
  }
  // A root is left out when a folder root holds it, or when it is a root given earlier again: found by real path.
  const reals = planned.map((p) =>
    p.kind === 'root'
      ? p.real
      : p.entry.kind === 'error'
        ? undefined
        : realLocation(p.entry.path, p.entry.kind === 'file' && follow),
  );
  const folders = new Map<string, string>();
  const first = new Map<string, number>();
  planned.forEach((p, i) => {
    if (p.kind === 'root' && !folders.has(p.real)) folders.set(p.real, p.path);
    if (reals[i] !== undefined && !first.has(reals[i])) first.set(reals[i], i);
  });
  return planned.filter((p, i) => {
    const real = reals[i];
    if (real === undefined) return true;
    const earlier = first.get(real)!;
    if (earlier !== i) {
      debug(`"${pathOf(p)}" is "${pathOf(planned[earlier]!)}" again: walked once`);
      return false;
    }
    for (let dir = real; dir !== dirname(dir);) {
      dir = dirname(dir);
      const outer = folders.get(dir);
      if (outer === undefined) continue;
      debug(`"${pathOf(p)}" is inside "${outer}": walked once, as part of it`);
      return false;
    }
    return true;
  });
}

function pathOf(p: Planned): string {
  return p.kind === 'root' ? p.path : p.entry.path;
}

/**
 * Walks files under each root, depth first, one folder open at a time (memory holds the pending folder stack, not
 * the tree). Yields a folder's entries together (one step of the iteration a folder, up to WALK_STEP entries, not
 * one a file: on a rescan answered from the cache the per-file await was a large part of the time): regular files,
 * symbolic links (when not followed, or dangling) and per-path errors (unreadable folders, vanished entries, names
 * that are not valid UTF-8, loops) instead of stopping. Sockets, FIFOs and devices inside a folder are skipped; given
 * as a root, one fails. See planRoots for which roots are walked.
 */
export async function* walk(roots: readonly string[], options: WalkOptions = {}): AsyncGenerator<WalkEntry[]> {
  const follow = options.followSymlinks ?? false;
  const useIgnoreFiles = options.ignoreFiles ?? true;
  for (const root of await planRoots(roots, options)) {
    if (root.kind === 'entry') {
      yield [root.entry];
      continue;
    }
    const { exclude } = root.rules;
    const stack: Array<{ dir: string; matchers: readonly Matcher[]; above: Ancestor | undefined }> = [
      { dir: root.path, matchers: root.rules.files, above: undefined },
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
        // A loop (a followed link, or a bind mount, back to a folder on the current path) is reported and not
        // walked; the same folder reached again elsewhere (two links to it) is walked again, as `find -L` does.
        const loop = onPath(above, id);
        if (loop) {
          yield [loopAt(dir, loop.path)];
          continue;
        }
        here = { id, path: dir, parent: above };
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
      const rules: Rules = { exclude, files: matchers };
      const entries = listing.map((dirent) => ({ dirent, name: dirent.name.toString('utf8') }));
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      let found: WalkEntry[] = [];
      for (const { dirent, name } of entries) {
        const path = join(dir, name);
        if (name.includes('\uFFFD') && !Buffer.from(name, 'utf8').equals(dirent.name)) {
          if (!isIgnored(rules, path, dirent.isDirectory())) found.push(notUtf8(path));
        } else {
          let isDir = dirent.isDirectory();
          if (dirent.isSymbolicLink() && follow) isDir = isFolder(path);
          if (isIgnored(rules, path, isDir)) continue;
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

/** A folder met again inside itself (a link to a folder above it, or a bind mount), as its failure. */
function loopAt(path: string, ancestor: string): WalkEntry {
  return {
    kind: 'error',
    path,
    error: new UfsError(
      'INVALID_INPUT',
      `[ufs] scan "${path}": a loop: it leads back to "${ancestor}", a folder it is in, so it is not walked`,
      { context: { operation: 'scan', path } },
    ),
  };
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
