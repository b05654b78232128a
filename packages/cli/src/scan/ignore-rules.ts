import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { UfsError, toUfsError } from '@org/core';
import { escapeControls } from '../errors.js';

export const IGNORE_FILE = '.ufsignore';

/** gitignore patterns, and the folder they are relative to. */
export interface Matcher {
  base: string;
  ig: Ignore;
}

/**
 * What leaves a path out of the walk: the --exclude patterns (relative to the root), then the `.ufsignore` files of
 * the folders above the path, outermost first. As git gives command-line patterns precedence over every ignore file,
 * an --exclude pattern that matches decides (a `!` one included); only when none does, the ignore files do, and among
 * them the last pattern that matches (the deepest file's).
 */
export interface Rules {
  exclude: Matcher | undefined;
  files: readonly Matcher[];
}

/** gitignore patterns: case-sensitive, as git (core.ignorecase false) and `ufs cp --exclude` match them. */
export function patterns(text: string | readonly string[]): Ignore {
  return ignore({ ignorecase: false }).add(typeof text === 'string' ? text : [...text]);
}

/** A matcher's word on a path: true (left out), false (taken back by a `!` pattern), undefined (no pattern matches). */
export function verdict({ base, ig }: Matcher, path: string, isDir: boolean): boolean | undefined {
  const rel = relative(base, path).split(sep).join('/');
  // Outside this matcher's folder, or the folder itself: `..` or `../…` (a name such as `..hidden` is inside).
  if (!rel || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) return undefined;
  const result = ig.test(isDir ? `${rel}/` : rel);
  return result.ignored ? true : result.unignored ? false : undefined;
}

export function isIgnored(rules: Rules, path: string, isDir: boolean): boolean {
  const excluded = rules.exclude ? verdict(rules.exclude, path, isDir) : undefined;
  if (excluded !== undefined) return excluded;
  let ignored = false;
  for (const matcher of rules.files) ignored = verdict(matcher, path, isDir) ?? ignored;
  return ignored;
}

/**
 * The rules of `dir/.ufsignore`, read without blocking (a FIFO put in its place, or at the end of a link, is found by
 * fstat, not waited on); undefined when it is gone (or a dangling link) or not a regular file. The caller has checked
 * that the name is a regular file or a link (a socket or device is never opened). An ignore file that cannot be read
 * throws, naming the file and what is not scanned for it (`notScanned`), since the files its rules leave out are not
 * known. `ownerChecked` (a file above a root): one owned neither by the scanning user nor by root is not used (see
 * `trustedOwner`), said once on stderr.
 */
export function readIgnoreFile(dir: string, notScanned: string, ownerChecked = false): Matcher | undefined {
  const path = join(dir, IGNORE_FILE);
  let text: string;
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) return undefined;
      if (ownerChecked && !trustedOwner(stats.uid)) {
        warnUntrusted(path, stats.uid);
        return undefined;
      }
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(err, path, notScanned);
  }
  return { base: dir, ig: patterns(text) };
}

/**
 * Whether an ignore file above a root may be used: owned by the scanning user or by root. As git's safe.directory
 * refuses a repository another user owns, a `.ufsignore` that another user planted in a shared folder above a PATH
 * (`/tmp`, a 1777 folder) must not decide what is scanned. Where uids are not known (Windows), every file is.
 */
function trustedOwner(uid: number): boolean {
  const me = process.getuid?.();
  return me === undefined || uid === me || uid === 0;
}

const warned = new Set<string>();

/** Says once (per file, per process) on stderr that an ignore file above a root is not used, and why. */
function warnUntrusted(path: string, uid: number): void {
  if (warned.has(path)) return;
  warned.add(path);
  const me = process.getuid?.();
  process.stderr.write(
    `[ufs] warning: "${escapeControls(path)}" is not used: it is owned by uid ${uid}, neither by you (uid ${me}) nor ` +
      `by root, and a .ufsignore above a PATH must be (another user could leave your files out)\n`,
  );
}

function unreadable(err: unknown, path: string, notScanned: string): UfsError {
  const error = toUfsError(err, { operation: 'scan', path });
  return new UfsError(
    error.code,
    `${error.message}; the ignore file cannot be read, so ${notScanned} is not scanned (its rules could leave files out)`,
    { context: error.context, cause: err, retryable: error.retryable },
  );
}

/** What applies inside a folder above a root: the ignore files from `/` down to it, or the folder that is left out. */
interface Above {
  files: readonly Matcher[];
  /** A folder on the way (or the folder itself) that those rules leave out. */
  leftOut?: string;
}

/**
 * The `.ufsignore` rules of the folders above the roots of a walk, from `/` down, as a walk started at `/` would
 * meet them: a folder that the rules above it leave out leaves out everything below it (its own file is not read).
 * Each folder is looked at once per walk (roots such as `t/*` share their parent).
 */
export class RulesAbove {
  private readonly known = new Map<string, Above>();

  /** The rules in force inside folder `dir`, its own `.ufsignore` included; `root` is named if a file is unreadable. */
  inside(dir: string, root: string): Above {
    const known = this.known.get(dir);
    if (known) return known;
    const parent = dirname(dir);
    let found: Above;
    if (parent === dir) {
      found = { files: ownFile(dir, root) };
    } else {
      const up = this.inside(parent, root);
      if (up.leftOut) found = up;
      else if (isIgnored({ exclude: undefined, files: up.files }, dir, true)) found = { files: up.files, leftOut: dir };
      else found = { files: [...up.files, ...ownFile(dir, root)] };
    }
    this.known.set(dir, found);
    return found;
  }
}

/** A folder's own ignore file (found by stat, not by listing the folder: a root's parent need not be readable). */
function ownFile(dir: string, root: string): Matcher[] {
  const notScanned = `"${root}" (below its folder)`;
  const path = join(dir, IGNORE_FILE);
  try {
    // a link is followed: only a regular file, or a link to one, is an ignore file
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return [];
    // …and the link is as much the file as what it leads to: another user's link to a file of root is not used
    const link = lstatSync(path);
    if (link.isSymbolicLink() && !trustedOwner(link.uid)) {
      warnUntrusted(path, link.uid);
      return [];
    }
  } catch (err) {
    // ENOTDIR, ELOOP, EACCES…: the file may hold rules
    throw unreadable(err, path, notScanned);
  }
  const own = readIgnoreFile(dir, notScanned, true);
  return own ? [own] : [];
}
