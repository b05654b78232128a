import { parentKey, type EntryStat, type ErrorContext } from '@org/core';
import type { FileStat, WebDAVClient } from 'webdav';
import { statusOf, ufsError } from './errors.js';
import type { ListingRest } from '../../util/listing-rest.js';

/** Prefix of the temporary uploads that writes MOVE into place; listings hide them. */
export const TEMP_PREFIX = '.ufs-upload-';

/** What the operations share: the client and the mount's choices. */
export interface Dav {
  readonly client: WebDAVClient;
  readonly atomicWrites: boolean;
  readonly depthInfinity: boolean;
  /** What remains of folders listed page by page (PROPFIND answers a folder whole). */
  readonly rests: ListingRest<EntryStat>;
  /** The server folder of the mount (its URL), when known: list cursors are bound to it. */
  readonly root?: string;
}

/** The client path of a key (the client percent-encodes each segment). */
export function davPath(key: string): string {
  return `/${key}`;
}

export function entryOf(key: string, stat: FileStat): EntryStat {
  const isDir = stat.type === 'directory';
  const mtime = stat.lastmod ? new Date(stat.lastmod) : undefined;
  const entry: EntryStat = { key, isFile: !isDir, isDir, size: isDir ? 0 : Number(stat.size) || 0 };
  if (mtime && !Number.isNaN(mtime.getTime())) entry.mtime = mtime;
  if (stat.etag) entry.etag = stat.etag;
  if (!isDir && stat.mime) entry.contentType = stat.mime;
  return entry;
}

/** PROPFIND Depth 0, or null on 404. */
export async function statOrNull(dav: Dav, key: string, signal?: AbortSignal): Promise<FileStat | null> {
  try {
    return (await dav.client.stat(davPath(key), { signal })) as FileStat;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/**
 * MKCOL for the folder `key` and its missing parents (the root is taken to exist). Concurrent creation of the same
 * folder is fine (405 from MKCOL, then it is a folder). INVALID_INPUT when a file stands where a folder is needed,
 * also one written there between the check and the MKCOL.
 */
export async function makeFolders(dav: Dav, key: string, context: ErrorContext, signal?: AbortSignal): Promise<void> {
  const missing: string[] = [];
  for (let k = key; k !== ''; k = parentKey(k)) {
    const stat = await statOrNull(dav, k, signal);
    if (stat) {
      if (stat.type !== 'directory') throw ufsError('INVALID_INPUT', context, `"${k}" is a file, not a folder`);
      break;
    }
    missing.unshift(k);
  }
  for (const folder of missing) {
    try {
      await dav.client.createDirectory(davPath(folder), { signal });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 405 && status !== 409) throw err;
      // Created meanwhile by another write: a folder is fine, a file (a concurrent write of that key) is said so.
      const now = await statOrNull(dav, folder, signal);
      if (now?.type === 'directory') continue;
      if (now) throw ufsError('INVALID_INPUT', context, `"${folder}" is a file, not a folder`, err);
      throw err;
    }
  }
}
