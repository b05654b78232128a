import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { EntryStat } from '@org/core';

/** Names of our own in-flight temporary files (`.ufs-<process prefix>-<counter>.tmp`; before, `.ufs-<16 hex>.tmp`), never listed. */
export const TEMP_NAME = /^\.ufs-(?:[0-9a-f]{12}-[0-9a-z]+|[0-9a-f]{16})\.tmp$/;

export function entryOf(key: string, stats: Stats): EntryStat {
  return {
    key,
    isFile: stats.isFile(),
    isDir: stats.isDirectory(),
    size: stats.isFile() ? stats.size : 0,
    mtime: stats.mtime,
    etag: stats.isFile() ? `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"` : undefined,
  };
}

interface WalkOptions {
  recursive: boolean;
  /** The real root: links resolving outside it are left out of listings. */
  realRoot: string;
  signal?: AbortSignal;
}

async function describe(
  dirent: Dirent,
  path: string,
  key: string,
  options: WalkOptions,
): Promise<{ entry: EntryStat; descend: boolean } | undefined> {
  try {
    if (dirent.isSymbolicLink()) {
      const target = await realpath(path);
      if (target !== options.realRoot && !target.startsWith(options.realRoot + sep)) return undefined;
      const stats = await stat(target);
      // Links are listed as what they point to, but never walked into (no cycles, no double counting).
      return stats.isFile() || stats.isDirectory() ? { entry: entryOf(key, stats), descend: false } : undefined;
    }
    if (!dirent.isFile() && !dirent.isDirectory()) return undefined; // sockets, fifos, devices
    const stats = await stat(path);
    return { entry: entryOf(key, stats), descend: stats.isDirectory() };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // removed while listing, or a dangling link
    throw err;
  }
}

/**
 * Walks a folder depth-first in sorted order (names compared as strings, folders entered right after their own
 * entry), which is the order of `compareKeys`. `after` holds the segments of the last key already returned: the walk
 * resumes right after it, reading only the folders on the way down to it.
 */
export async function* walk(
  dir: string,
  dirKey: string,
  after: string[] | undefined,
  options: WalkOptions,
): AsyncGenerator<EntryStat> {
  options.signal?.throwIfAborted();
  const dirents = (await readdir(dir, { withFileTypes: true })).filter((d) => !TEMP_NAME.test(d.name));
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let pending = after;
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
    const found = await describe(dirent, path, key, options);
    if (!found) continue;
    if (emit) yield found.entry;
    if (found.descend && options.recursive) yield* walk(path, key, childAfter, options);
  }
}
