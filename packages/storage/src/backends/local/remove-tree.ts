import type { Stats } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from './paths.js';

/** How many entries of one folder are removed at once. */
const AT_ONCE = 16;

/**
 * Removes `path` and everything below it, as `rm -r` does: every entry is tried, what is missing is fine, and the
 * call settles only once every removal it started has ended. (`fs.rm({ recursive })` rejects at the first failure
 * while the removal of the siblings goes on unawaited: the caller sees a tree still shrinking, and a process that
 * ends then leaves it half removed.) Rejects with the first failure, whose `path` names the entry that could not be
 * removed.
 */
export async function removeTree(path: string): Promise<void> {
  let first: unknown;
  await remove(path, (err) => {
    if (!isMissing(err)) first ??= err;
  });
  if (first !== undefined) throw first;
}

async function remove(path: string, fail: (err: unknown) => void): Promise<void> {
  let stats: Stats;
  let names: string[];
  try {
    stats = await lstat(path);
    if (!stats.isDirectory()) return await unlink(path);
    names = await readdir(path);
  } catch (err) {
    return fail(err);
  }
  for (let i = 0; i < names.length; i += AT_ONCE) {
    await Promise.all(names.slice(i, i + AT_ONCE).map((name) => remove(join(path, name), fail)));
  }
  // A folder whose entries could not all be removed is not empty: its own failure (ENOTEMPTY) comes after theirs.
  await rmdir(path).catch(fail);
}
