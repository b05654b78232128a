import type { EntryStat } from '@org/core';
import type { files } from 'dropbox';
import { folderEntry } from '../../util/entries.js';

/** Keys ↔ Dropbox paths under the mount's root folder. Dropbox paths start with `/`; its root is `''`. */
export class DropboxPaths {
  constructor(private readonly root: string) {}

  /** The Dropbox path of a key (`''` for the account root). */
  toPath(key: string): string {
    const joined = [this.root, key].filter((part) => part !== '').join('/');
    return joined === '' ? '' : `/${joined}`;
  }

  /**
   * The key of an entry listed under `folderKey`. Dropbox is case-insensitive and only promises the casing of the
   * last component of `path_display`, so the folder part is the caller's own and the rest comes from Dropbox.
   */
  keyOf(folderKey: string, entry: { path_display?: string; name: string }): string {
    const prefix = this.toPath(folderKey);
    const display = entry.path_display ?? `${prefix}/${entry.name}`;
    const relative = display.slice(prefix.length + 1);
    return folderKey === '' ? relative : `${folderKey}/${relative}`;
  }
}

/**
 * The keys of the entries of one listing, their folder part in the casing of the folder entries the listing gave
 * (a recursive listing gives each folder before what it holds), not in that of each entry's `path_display`: Dropbox
 * only promises the casing of its last component, so `Photos/one.txt` and `photos/two.txt` in one folder stay under
 * one folder key. Kept from page to page of the listing (`known`); an entry whose folder it has not seen falls back to
 * `path_display` (DropboxPaths.keyOf).
 */
export class ListedKeys {
  constructor(
    private readonly paths: DropboxPaths,
    private readonly folderKey: string,
    /** The listed folder's Dropbox path, lowercased. */
    private readonly self: string,
    readonly known = new Map<string, string>(),
  ) {}

  keyOf(entry: { '.tag': string; path_lower?: string; path_display?: string; name: string }): string {
    const lowered = entry.path_lower;
    if (lowered === undefined) return this.paths.keyOf(this.folderKey, entry);
    const parentLower = lowered.slice(0, lowered.lastIndexOf('/'));
    const parent = parentLower === this.self ? this.folderKey : this.known.get(parentLower);
    const key =
      parent === undefined
        ? this.paths.keyOf(this.folderKey, entry)
        : parent === ''
          ? entry.name
          : `${parent}/${entry.name}`;
    if (entry['.tag'] === 'folder') this.known.set(lowered, key);
    return key;
  }
}

type Metadata = files.FileMetadataReference | files.FolderMetadataReference | files.DeletedMetadataReference;

/** EntryStat of a Dropbox metadata; undefined for deleted entries. */
export function statOf(key: string, metadata: Metadata): EntryStat | undefined {
  if (metadata['.tag'] === 'folder') return folderEntry(key);
  if (metadata['.tag'] !== 'file') return undefined;
  const mtime = new Date(metadata.server_modified);
  return {
    key,
    isFile: true,
    isDir: false,
    size: metadata.size,
    mtime: Number.isNaN(mtime.getTime()) ? undefined : mtime,
    // Dropbox's content_hash (SHA-256 of 4 MiB block hashes) is no md5/sha256 of the file: exposed as the etag only.
    etag: metadata.content_hash ? `"${metadata.content_hash}"` : undefined,
    versionId: metadata.rev,
  };
}
