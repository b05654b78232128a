import type { Bucket, File, FileMetadata } from '@google-cloud/storage';
import type { EntryStat, Key, ListPage, UfsError, VersionInfo } from '@org/core';
import type { ErrorSite } from '../../errors.js';
import type { BlobPaths } from '../../util/blob-paths.js';
import { bindToken, pageSizeOf, tokenOf, type CursorListing } from '../../util/paginate.js';
import { listedBlobEntry } from '../../util/key-names.js';
import { mtimeIn, withoutMtime } from '../../util/mtime-metadata.js';
import { folderEntry } from '../../util/entries.js';
import { blobTreePage, unreadableMarker } from '../../util/blob-tree.js';

/** objects.list returns at most 1000 entries (items + prefixes) per page. */
const MAX_PAGE = 1000;

/** An object's user metadata, values as strings (the JSON API may give numbers or booleans; null is none). */
export function storedMetadata(m: FileMetadata): Record<string, string> {
  return Object.fromEntries(
    Object.entries(m.metadata ?? {})
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}

/**
 * The metadata of an object resource as an EntryStat (md5Hash is base64; composite objects have none). A kept
 * modification time (user metadata `mtime`, see util/mtime-metadata.ts) is the `mtime`, before `updated`.
 */
export function objectEntry(key: Key, m: FileMetadata): EntryStat {
  const entry: EntryStat = { key, isFile: true, isDir: false, size: Number(m.size ?? 0) };
  const kept = mtimeIn(storedMetadata(m));
  if (kept) entry.mtime = kept;
  else if (m.updated) entry.mtime = new Date(m.updated);
  if (m.etag) entry.etag = m.etag;
  if (m.contentType) entry.contentType = m.contentType;
  if (m.cacheControl) entry.cacheControl = m.cacheControl;
  if (m.generation !== undefined) entry.versionId = String(m.generation);
  if (m.metadata) entry.metadata = withoutMtime(storedMetadata(m));
  if (m.md5Hash) entry.hash = { algorithm: 'md5', value: Buffer.from(m.md5Hash, 'base64').toString('hex') };
  return entry;
}

/** A listed name's entry, or the report of one no path can name (see listedBlobEntry). */
function listedEntry(
  paths: BlobPaths,
  name: string,
  site: ErrorSite | undefined,
  entry: (key: Key) => EntryStat,
): EntryStat {
  return listedBlobEntry(paths, name, site ?? { mount: 'gcs', protocol: 'gcs' }, entry);
}

export interface ListRequest {
  recursive: boolean;
  pageSize: number | undefined;
  /** A cursor of this listing: the page token, bound to the listing (see util/paginate.ts `bindToken`). */
  cursor: string | undefined;
  /** Makes the INVALID_INPUT error of a cursor of another listing (the mount's message prefix). */
  refuse?: (detail: string) => UfsError;
  /** The mount errors name (reports of names no path can name). */
  site?: ErrorSite;
}

/**
 * One page of the folder `key`: objects and common prefixes (synthesised folders) one level down, or, recursive,
 * every object below and each folder they lie in (before its first entry, as S3 lists them: see util/blob-tree.ts).
 * Zero-byte folder placeholders (`name/`, made by the console) are not files: they list as their folder.
 */
export async function listPage(bucket: Bucket, paths: BlobPaths, key: Key, request: ListRequest): Promise<ListPage> {
  // The cursor belongs to this folder (bucket, prefix) and this kind of listing: another is refused.
  const listing: CursorListing = {
    key,
    recursive: request.recursive,
    scope: `${bucket.name}/${paths.folder(key)}`,
    ...(request.refuse ? { refuse: request.refuse } : {}),
  };
  // 0, negative or fractional page sizes are refused (as on every backend), not taken as 1.
  const maxResults = Math.min(pageSizeOf({ pageSize: request.pageSize }, request.refuse, MAX_PAGE), MAX_PAGE);
  const token = request.cursor === undefined ? undefined : tokenOf(request.cursor, listing);
  const prefix = paths.folder(key);
  if (request.recursive) {
    const tree = await blobTreePage<File>({
      key,
      prefix,
      pageSize: maxResults,
      state: token,
      fetch: async (pageToken) => {
        const [files, next] = await bucket.getFiles({
          prefix,
          maxResults,
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        });
        return { items: files, next: (next as { pageToken?: string } | null | undefined)?.pageToken };
      },
      name: (file) => file.name,
      fileEntry: (file) => listedEntry(paths, file.name, request.site, (k) => objectEntry(k, file.metadata)),
      markerEntry: (file) => unreadableMarker(listedEntry(paths, file.name, request.site, folderEntry)),
    });
    return tree.state === undefined
      ? { entries: tree.entries }
      : { entries: tree.entries, cursor: bindToken(tree.state, listing) };
  }
  const [files, next, response] = await bucket.getFiles({
    prefix,
    delimiter: '/',
    maxResults,
    autoPaginate: false,
    ...(token ? { pageToken: token } : {}),
  });
  const entries: EntryStat[] = [];
  for (const folder of (response as { prefixes?: string[] } | undefined)?.prefixes ?? []) {
    entries.push(listedEntry(paths, folder, request.site, folderEntry));
  }
  for (const file of files) {
    if (!file.name.endsWith('/'))
      entries.push(listedEntry(paths, file.name, request.site, (k) => objectEntry(k, file.metadata)));
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const cursor = (next as { pageToken?: string } | null | undefined)?.pageToken;
  return cursor ? { entries, cursor: bindToken(cursor, listing) } : { entries };
}

/** True when at least one object lies below the folder `key`. */
export async function hasChildren(bucket: Bucket, paths: BlobPaths, key: Key): Promise<boolean> {
  const [files] = await bucket.getFiles({ prefix: paths.folder(key), maxResults: 1, autoPaginate: false });
  return files.length > 0;
}

/** Every object name below the folder `key`, page by page (for recursive delete). */
export async function* namesBelow(bucket: Bucket, paths: BlobPaths, key: Key): AsyncGenerator<string[]> {
  let pageToken: string | undefined;
  do {
    const [files, next] = await bucket.getFiles({
      prefix: paths.folder(key),
      maxResults: MAX_PAGE,
      autoPaginate: false,
      ...(pageToken ? { pageToken } : {}),
    });
    yield files.map((file) => file.name);
    pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
  } while (pageToken);
}

/**
 * Every generation of exactly this object, newest first. A noncurrent one (GCS has no delete markers) carries when it
 * stopped being current, its `timeDeleted` (replaced or deleted), as `noncurrentSince`: `asOf` reads it.
 */
export async function generationsOf(bucket: Bucket, name: string): Promise<VersionInfo[]> {
  const versions: (VersionInfo & { noncurrentSince?: Date })[] = [];
  let pageToken: string | undefined;
  do {
    const [files, next] = await bucket.getFiles({
      prefix: name,
      versions: true,
      maxResults: MAX_PAGE,
      autoPaginate: false,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const file of files) {
      if (file.name !== name) continue;
      const m = file.metadata;
      const version: VersionInfo & { noncurrentSince?: Date } = {
        versionId: String(m.generation),
        isLatest: !m.timeDeleted,
        isDeleteMarker: false,
        size: Number(m.size ?? 0),
      };
      if (m.updated) version.mtime = new Date(m.updated);
      if (m.etag) version.etag = m.etag;
      if (m.timeDeleted) version.noncurrentSince = new Date(m.timeDeleted);
      versions.push(version);
    }
    pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
  } while (pageToken);
  return versions.sort((a, b) => (BigInt(b.versionId) > BigInt(a.versionId) ? 1 : -1));
}
