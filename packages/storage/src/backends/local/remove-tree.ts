import type { Stats } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { escapedBytes, NotUtf8Name, readName } from './names.js';
import { isMissing } from './paths.js';

/** How many entries of one folder are removed at once. */
const AT_ONCE = 16;

/** How many more names that are not valid UTF-8 a failed removal lists after its first (the rest are counted). */
const MORE_LISTED = 20;

/**
 * The paths of a folder's entries, sorted by name. Names are read as bytes: one that is not valid UTF-8 would come
 * back altered (U+FFFD), name nothing, and be taken for an entry removed meanwhile; it goes to `fail` instead
 * (NotUtf8Name, whose `path` names it), so the folder it keeps from being removed says why.
 */
export async function entriesOf(path: string, fail: (err: unknown) => void): Promise<string[]> {
  const paths: string[] = [];
  const names = (await readdir(path, { encoding: 'buffer' })).map(readName);
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, notUtf8 } of names) {
    if (notUtf8 === undefined) paths.push(join(path, name));
    else fail(new NotUtf8Name(join(path, name), notUtf8));
  }
  return paths;
}

/**
 * Removes `path` and everything below it, as `rm -r` does: every entry is tried, what is missing is fine, and the
 * call settles only once every removal it started has ended. (`fs.rm({ recursive })` rejects at the first failure
 * while the removal of the siblings goes on unawaited: the caller sees a tree still shrinking, and a process that
 * ends then leaves it half removed.) Rejects with the first failure, whose `path` names the entry that could not be
 * removed (a name that is not valid UTF-8 is one: NotUtf8Name; when there are several, its message lists the others
 * too, so that all can be renamed in one go).
 */
export async function removeTree(path: string): Promise<void> {
  await collecting(path, `"${basename(path)}"`, (fail) => remove(path, fail));
}

/**
 * Empties the folder at `path` (a mount root) as removeTree removes one, leaving the folder itself: every entry is
 * tried, and the first failure names every name below that is not valid UTF-8. A folder that cannot be read rejects
 * with that failure at once.
 */
export async function emptyTree(path: string): Promise<void> {
  await collecting(path, 'the mount root', async (fail) => removeEach(await entriesOf(path, fail), fail));
}

/** Runs `removal`, then rejects with its first failure (listing the other names that are not valid UTF-8). */
async function collecting(
  root: string,
  below: string,
  removal: (fail: (err: unknown) => void) => Promise<void>,
): Promise<void> {
  let first: unknown;
  const notUtf8: NotUtf8Name[] = [];
  await removal((err) => {
    if (err instanceof NotUtf8Name) notUtf8.push(err);
    if (!isMissing(err)) first ??= err;
  });
  if (first instanceof NotUtf8Name && notUtf8.length > 1) throw withOthers(first, notUtf8, root, below);
  if (first !== undefined) throw first;
}

/**
 * `first` naming the other names that are not valid UTF-8 below `root` as well (their paths from `root`, bytes
 * escaped): `…; 2 more names below "top" are not valid UTF-8 either: "b\xfe", sub/"c\xfd"`.
 */
function withOthers(first: NotUtf8Name, all: readonly NotUtf8Name[], root: string, below: string): NotUtf8Name {
  const others = all.filter((err) => err !== first);
  const shown = others.slice(0, MORE_LISTED).map((err) => {
    const folder = relative(root, dirname(err.path));
    const name = escapedBytes(err.bytes);
    return folder === '' ? name : `${folder}/${name}`;
  });
  const rest = others.length - shown.length;
  const error = new NotUtf8Name(first.path, first.bytes);
  error.message =
    `${first.message}; ${others.length} more ${others.length === 1 ? 'name' : 'names'} below ${below} ` +
    `${others.length === 1 ? 'is' : 'are'} not valid UTF-8 either: ${shown.join(', ')}${rest > 0 ? `, and ${rest} more` : ''}` +
    ` (everything else was removed)`;
  return error;
}

/** Removes each of `paths` (and what is below it), AT_ONCE at a time. */
async function removeEach(paths: readonly string[], fail: (err: unknown) => void): Promise<void> {
  for (let i = 0; i < paths.length; i += AT_ONCE) {
    await Promise.all(paths.slice(i, i + AT_ONCE).map((entry) => remove(entry, fail)));
  }
}

async function remove(path: string, fail: (err: unknown) => void): Promise<void> {
  let stats: Stats;
  let paths: string[];
  try {
    stats = await lstat(path);
    if (!stats.isDirectory()) return await unlink(path);
    paths = await entriesOf(path, fail);
  } catch (err) {
    return fail(err);
  }
  await removeEach(paths, fail);
  // A folder whose entries could not all be removed is not empty: its own failure (ENOTEMPTY) comes after theirs.
  await rmdir(path).catch(fail);
}
