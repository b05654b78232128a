import type { EntryStat } from '@org/core';

/** The entry of a folder: no size, no content (object stores synthesise these from common prefixes). */
export function folderEntry(key: string): EntryStat {
  return { key, isFile: false, isDir: true, size: 0 };
}
