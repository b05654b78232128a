import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { EntryStat, Key, ListPage, UfsError } from '@org/core';
import type { ErrorSite } from '../../errors.js';
import type { BlobPaths } from '../../util/blob-paths.js';
import { bindToken, pageSizeOf, tokenOf, type CursorListing } from '../../util/paginate.js';
import { listedBlobEntry } from '../../util/key-names.js';
import { mtimeIn } from '../../util/mtime-metadata.js';
import { folderEntry } from '../../util/entries.js';
import { blobTreePage, unreadableMarker } from '../../util/blob-tree.js';

/** Azure returns at most 5000 entries per page. */
const MAX_PAGE = 5000;
const DEFAULT_PAGE = 1000;

/** A listed blob; listings ask for metadata, so a kept modification time (`mtime`) wins over lastModified. */
export function fileEntry(key: Key, item: BlobItem): EntryStat {
  const p = item.properties;
  const entry: EntryStat = {
    key,
    isFile: true,
    isDir: false,
    size: p.contentLength ?? 0,
    mtime: mtimeIn(item.metadata) ?? p.lastModified,
    etag: p.etag,
  };
  if (p.contentType) entry.contentType = p.contentType;
  if (p.cacheControl) entry.cacheControl = p.cacheControl;
  if (p.contentMD5 && p.contentMD5.length > 0) {
    entry.hash = { algorithm: 'md5', value: Buffer.from(p.contentMD5).toString('hex') };
  }
  if (item.versionId) entry.versionId = item.versionId;
  return entry;
}

/** A listed name's entry, or the report of one no path can name (see listedBlobEntry). */
function listedEntry(
  paths: BlobPaths,
  name: string,
  site: ErrorSite | undefined,
  entry: (key: Key) => EntryStat,
): EntryStat {
  return listedBlobEntry(paths, name, site ?? { mount: 'azure', protocol: 'azure' }, entry);
}

export interface ListRequest {
  recursive: boolean;
  pageSize: number | undefined;
  /** A cursor of this listing: the continuation token, bound to the listing (see util/paginate.ts `bindToken`). */
  cursor: string | undefined;
  /** Makes the INVALID_INPUT error of a cursor of another listing (the mount's message prefix). */
  refuse?: (detail: string) => UfsError;
  /** The mount errors name (reports of names no path can name). */
  site?: ErrorSite;
  signal: AbortSignal | undefined;
}

/**
 * One page of the folder `key`: blobs and common prefixes (synthesised folders) one level down, or, recursive, every
 * blob below and each folder they lie in (before its first entry, as S3 lists them: see util/blob-tree.ts). Zero-byte
 * folder markers that other tools create (`name/`) are not files: they list as their folder.
 */
export async function listPage(
  container: ContainerClient,
  paths: BlobPaths,
  key: Key,
  request: ListRequest,
): Promise<ListPage> {
  const prefix = paths.folder(key);
  // 0, negative or fractional page sizes are refused (as on every backend), not taken as 1.
  const maxPageSize = Math.min(pageSizeOf({ pageSize: request.pageSize }, request.refuse, DEFAULT_PAGE), MAX_PAGE);
  // The cursor belongs to this folder (account, container, prefix) and this kind of listing: another is refused.
  const listing: CursorListing = {
    key,
    recursive: request.recursive,
    scope: `${container.accountName}/${container.containerName}/${prefix}`,
    ...(request.refuse ? { refuse: request.refuse } : {}),
  };
  const token = request.cursor === undefined ? undefined : tokenOf(request.cursor, listing);
  if (request.recursive) {
    const tree = await blobTreePage<BlobItem>({
      key,
      prefix,
      pageSize: maxPageSize,
      state: token,
      fetch: async (continuationToken) => {
        const pages = container
          .listBlobsFlat({ prefix, includeMetadata: true, abortSignal: request.signal })
          .byPage({ maxPageSize, ...(continuationToken ? { continuationToken } : {}) });
        const { value: page } = await pages.next();
        return { items: page?.segment.blobItems ?? [], next: page?.continuationToken };
      },
      name: (item) => item.name,
      fileEntry: (item) => listedEntry(paths, item.name, request.site, (k) => fileEntry(k, item)),
      markerEntry: (item) => unreadableMarker(listedEntry(paths, item.name, request.site, folderEntry)),
    });
    return tree.state === undefined
      ? { entries: tree.entries }
      : { entries: tree.entries, cursor: bindToken(tree.state, listing) };
  }
  const byPage = { maxPageSize, ...(token ? { continuationToken: token } : {}) };
  const entries: EntryStat[] = [];
  let continuation: string | undefined;
  const pages = container
    .listBlobsByHierarchy('/', { prefix, includeMetadata: true, abortSignal: request.signal })
    .byPage(byPage);
  const { value: page } = await pages.next();
  if (page) {
    for (const p of page.segment.blobPrefixes ?? [])
      entries.push(listedEntry(paths, p.name, request.site, folderEntry));
    for (const item of page.segment.blobItems) {
      if (!item.name.endsWith('/'))
        entries.push(listedEntry(paths, item.name, request.site, (k) => fileEntry(k, item)));
    }
    continuation = page.continuationToken;
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return continuation ? { entries, cursor: bindToken(continuation, listing) } : { entries };
}

/** True when at least one blob lies below the folder `key` (object stores have folders only as prefixes). */
export async function hasChildren(
  container: ContainerClient,
  paths: BlobPaths,
  key: Key,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const pages = container.listBlobsFlat({ prefix: paths.folder(key), abortSignal: signal }).byPage({ maxPageSize: 1 });
  const { value: page } = await pages.next();
  return (page?.segment.blobItems.length ?? 0) > 0;
}

/** Every blob name below the folder `key`, page by page (for recursive delete). */
export async function* blobNamesBelow(
  container: ContainerClient,
  paths: BlobPaths,
  key: Key,
  signal: AbortSignal | undefined,
): AsyncGenerator<string[]> {
  const pages = container
    .listBlobsFlat({ prefix: paths.folder(key), abortSignal: signal })
    .byPage({ maxPageSize: MAX_PAGE });
  for await (const page of pages) yield page.segment.blobItems.map((item) => item.name);
}
