import type { Readable } from 'node:stream';
import {
  capabilities,
  describeContext,
  parentKey,
  UfsError,
  type CopyOptions,
  type DeleteOptions,
  type EntryStat,
  type ErrorContext,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type PresignOptions,
  type ReadOptions,
  type StorageBackend,
  type VersionInfo,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import { keyContext } from '../../errors.js';
import type { KeyLocation } from '../../util/location.js';
import { requestedRange } from '../http/range.js';
import type { DropboxClient } from './client.js';
import { dropboxError, hasSummary, invalid } from './errors.js';
import { DropboxLister } from './lister.js';
import { DropboxPaths, statOf } from './paths.js';
import { relocate, replaceFile, type Mover } from './relocate.js';
import { DropboxRevisions } from './revisions.js';
import { download, upload, type TransferSettings } from './transfer.js';
import { folderEntry } from '../../util/entries.js';

export const PROTOCOL = 'dropbox';
/** Dropbox temporary links live four hours, whatever is asked. */
export const TEMPORARY_LINK_SECONDS = 4 * 60 * 60;

/**
 * Dropbox through its SDK: metadata, listing, folders, copy/move and temporary links by RPC calls; downloads
 * (streamed, ranged) and uploads (single call or upload session) on the content host. File revisions are versions
 * (see revisions.ts): listed, stat'ed and read, but never deleted one by one, which Dropbox cannot do.
 */
export class DropboxBackend implements StorageBackend {
  readonly protocol = PROTOCOL;
  readonly capabilities = capabilities({
    read: true,
    write: true,
    delete: true,
    list: true,
    recursiveList: true,
    range: true,
    copy: true,
    rename: true,
    presignGet: true,
    presignMaxSeconds: TEMPORARY_LINK_SECONDS,
    presignFixedSeconds: TEMPORARY_LINK_SECONDS,
    // `A.txt` and `a.txt` are one file: copies check it (see copy/identity.ts).
    caseInsensitive: true,
    directories: true,
    atomicWrite: true,
    conditionalWrite: true,
    // Revisions are listed and read; one cannot be deleted on its own (delete with versionId, deleteVersion and
    // compactVersions whenever they have something to remove are UNSUPPORTED).
    versioning: true,
    versionDelete: false,
    // Uploads could carry `client_modified`, but `files/copy_v2` cannot set one, so a server-side copy could not keep
    // a given time: not declared (yet).
    setModified: false,
    // server_modified is RFC 3339 without fractions: whole seconds.
    modifiedPrecisionMs: 1000,
  });
  private readonly paths: DropboxPaths;
  /** Listings, a page never over its `pageSize` (lister.ts). */
  private readonly lister: DropboxLister;
  private readonly revisions: DropboxRevisions;
  /** What copy_v2/move_v2 and a replace need of this backend (relocate.ts). */
  private readonly moves: Mover = {
    sdk: () => this.client.sdk,
    path: (key, operation) => this.filePath(key, operation),
    request: (signal) => this.request(signal),
    remove: (key) => this.delete(key),
  };

  constructor(
    private readonly client: DropboxClient,
    root: string,
    private readonly settings: TransferSettings,
    private readonly mountName = PROTOCOL,
  ) {
    this.paths = new DropboxPaths(root);
    this.revisions = new DropboxRevisions(client);
    this.lister = new DropboxLister({
      client,
      paths: this.paths,
      mountName,
      protocol: PROTOCOL,
      request: (signal) => this.request(signal),
      context: (key) => this.ctx('list', key),
      isFile: (key) => this.isFile(key),
    });
  }

  async stat(key: string, options: { versionId?: string; signal?: AbortSignal } = {}): Promise<EntryStat | null> {
    const context = this.ctx('stat', key);
    const path = this.paths.toPath(key);
    if (options.versionId !== undefined)
      return this.revisions.stat(key, path, options.versionId, this.request(options.signal), context);
    if (path === '') return folderEntry(key);
    try {
      const { result } = await this.client.sdk.filesGetMetadata({ path }, this.request(options.signal));
      return statOf(key, result) ?? null;
    } catch (err) {
      const error = dropboxError(err, context);
      if (error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const context = this.ctx('read', key);
    const range = requestedRange(options, context);
    let path = this.filePath(key, 'read');
    if (options.versionId !== undefined)
      path = await this.revisions.readPath(path, options.versionId, this.request(options.signal), context);
    return download(this.client, path, range, this.settings, { signal: options.signal, context });
  }

  async write(
    key: string,
    source: Readable | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const context = this.ctx('write', key);
    const metadata = await upload(this.client, this.filePath(key, 'write'), source, this.settings, {
      ...options,
      context,
    }).catch((error: unknown) =>
      this.conflict(error, key, context, 'is a folder, not a file: a write cannot replace it'),
    );
    const etag = metadata.content_hash ? `"${metadata.content_hash}"` : undefined;
    return { key, size: metadata.size, etag, versionId: metadata.rev };
  }

  list(key: string, options: ListOptions = {}): Promise<ListPage> {
    return this.lister.list(key, options);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const context = this.ctx('delete', key);
    if (options.versionId !== undefined) {
      this.refuse(
        'delete',
        key,
        'Dropbox cannot delete one revision of a file (files/permanently_delete removes the whole file, on team ' +
          "accounts only); old revisions expire with the account's version history",
      );
    }
    if (key === '') {
      if (!options.recursive) {
        throw new UfsError('INVALID_INPUT', `${describeContext(context)} deleting the mount root needs recursive`, {
          context,
        });
      }
      // Keep the root folder itself: delete what is in it.
      let cursor: string | undefined;
      do {
        const page = await this.list(key, { cursor, signal: options.signal });
        for (const entry of page.entries) await this.delete(entry.key, { recursive: true, signal: options.signal });
        cursor = page.cursor;
      } while (cursor);
      return;
    }
    if (!options.recursive) {
      const stat = await this.stat(key, { signal: options.signal });
      if (!stat) return;
      if (stat.isDir && (await this.list(key, { pageSize: 1, signal: options.signal })).entries.length > 0) {
        throw new UfsError('INVALID_INPUT', `${describeContext(context)} the folder is not empty (use recursive)`, {
          context,
        });
      }
    }
    try {
      await this.client.sdk.filesDeleteV2({ path: this.paths.toPath(key) }, this.request(options.signal));
    } catch (err) {
      const error = dropboxError(err, context);
      if (error.code !== 'NOT_FOUND') throw error;
    }
  }

  async mkdir(key: string, options: MkdirOptions = {}): Promise<void> {
    const context = this.ctx('mkdir', key);
    const path = this.paths.toPath(key);
    if (path === '') return;
    if (!options.parents && parentKey(key) !== '') {
      const parent = await this.stat(parentKey(key));
      if (!parent?.isDir) {
        const code = parent ? 'INVALID_INPUT' : 'NOT_FOUND';
        const why = parent ? 'the parent is a file' : 'the parent folder does not exist (use parents)';
        const missing = parent ? {} : { missing: this.ctx('mkdir', parentKey(key)).path };
        throw new UfsError(code, `${describeContext(context)} ${why}`, { context: { ...context, ...missing } });
      }
    }
    try {
      await this.client.sdk.filesCreateFolderV2({ path, autorename: false }, this.request());
    } catch (err) {
      const error = dropboxError(err, context);
      if (error.code === 'ALREADY_EXISTS' && options.existOk && hasSummary(error, /conflict\/folder/)) return;
      return this.conflict(error, key, context);
    }
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    await this.transfer('copy', from, to, options);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.transfer('rename', from, to, {});
  }

  /**
   * Where a key lives whatever mount reaches it: `dropbox://<api host>/<account>/<absolute path, lower case>` (see
   * `DropboxClient.account`). Dropbox compares paths case-insensitively, so `A.txt` and `a.txt` are one location.
   */
  async location(key: string): Promise<KeyLocation> {
    return { url: `dropbox://${await this.client.account()}${this.paths.toPath(key).toLowerCase()}` };
  }

  /** Revisions of the file, newest first; a deleted (or moved away) file's latest entry is a delete marker. */
  async versions(key: string): Promise<VersionInfo[]> {
    const context = this.ctx('versions', key);
    return this.revisions.list(this.filePath(key, 'versions'), this.request(), context);
  }

  /**
   * A temporary link: it always lasts 4 hours (`TEMPORARY_LINK_SECONDS`, also `presignFixedSeconds`), which Dropbox
   * cannot shorten, so a shorter `expiresIn` is UNSUPPORTED rather than a link living longer than asked; a longer or
   * non-positive one is INVALID_INPUT, as on every backend with a `presignMaxSeconds`.
   */
  async presignGet(key: string, options: PresignOptions): Promise<string> {
    const context = this.ctx('url', key);
    const { expiresIn } = options;
    const lifetime = `Dropbox temporary links always last 4 hours (${TEMPORARY_LINK_SECONDS} s)`;
    if (!(expiresIn > 0) || expiresIn > TEMPORARY_LINK_SECONDS) {
      throw new UfsError(
        'INVALID_INPUT',
        `${describeContext(context)} ${lifetime}; expiresIn must be ${TEMPORARY_LINK_SECONDS}, ` +
          `got ${String(expiresIn)}`,
        { context: { ...context, expiresIn, lifetime: TEMPORARY_LINK_SECONDS } },
      );
    }
    if (expiresIn !== TEMPORARY_LINK_SECONDS) {
      throw new UfsError(
        'UNSUPPORTED',
        `${describeContext(context)} ${lifetime} and cannot be made shorter: a link for ${expiresIn} s cannot be ` +
          `given (ask for ${TEMPORARY_LINK_SECONDS} s, or give no expiry)`,
        { context: { ...context, expiresIn, lifetime: TEMPORARY_LINK_SECONDS } },
      );
    }
    try {
      const { result } = await this.client.sdk.filesGetTemporaryLink(
        { path: this.filePath(key, 'url') },
        this.request(),
      );
      return result.link;
    } catch (err) {
      throw dropboxError(err, context);
    }
  }

  /**
   * copy_v2 / move_v2. Dropbox never overwrites, so an existing file at the destination is replaced by `replace`
   * (nothing lost if a step fails); a folder there is refused (INVALID_INPUT).
   */
  private async transfer(operation: 'copy' | 'rename', from: string, to: string, options: CopyOptions): Promise<void> {
    const context = { ...this.ctx(operation, from), to };
    if (options.metadata && Object.keys(options.metadata).length > 0) {
      this.refuse(operation, from, 'Dropbox files have no user metadata');
    }
    try {
      await relocate(this.moves, operation, from, to, context, options.signal);
    } catch (error) {
      if (!(error instanceof UfsError)) throw error;
      if (hasSummary(error, /^to\/conflict\/folder/))
        await this.conflict(error, to, context, `a folder is at "${to}": it cannot be replaced`);
      if (!hasSummary(error, /^to\/conflict\/file/)) throw error;
      await replaceFile(this.moves, operation, from, to, context, options.signal);
    }
  }

  /**
   * Dropbox answers "conflict" for three things: a file at the key (ALREADY_EXISTS, as it came), a folder at the key
   * where a file was to go (INVALID_INPUT with `folderDetail`), and a file above the key where a folder was needed
   * (INVALID_INPUT naming that file, as on every backend).
   */
  private async conflict(error: unknown, key: string, context: ErrorContext, folderDetail?: string): Promise<never> {
    if (!(error instanceof UfsError)) throw error;
    if (folderDetail && hasSummary(error, /conflict\/folder/)) throw invalid(context, folderDetail, error);
    if (!hasSummary(error, /conflict\/file/) || (await this.isFile(key))) throw error;
    for (let above = parentKey(key); above !== ''; above = parentKey(above)) {
      if (await this.isFile(above)) throw invalid(context, `"${above}" is a file, not a folder`, error);
    }
    throw error;
  }

  /** Whether a file (not a folder, not nothing) is at `key`; asked only on error paths. */
  private async isFile(key: string): Promise<boolean> {
    return (await this.stat(key).catch(() => null))?.isFile === true;
  }

  /** The Dropbox path of a key that must name a file or folder below the mount root (not the root itself). */
  private filePath(key: string, operation: string): string {
    const path = this.paths.toPath(key);
    if (key === '' || path === '') {
      const context = this.ctx(operation, key);
      throw new UfsError('INVALID_INPUT', `${describeContext(context)} the mount root is a folder`, { context });
    }
    return path;
  }

  private request(signal?: AbortSignal): { signal?: AbortSignal; timeout: number } {
    return { signal, timeout: this.settings.timeoutMs };
  }

  private ctx(operation: string, key: string): ErrorContext {
    return keyContext({ mount: this.mountName, protocol: PROTOCOL }, operation, key);
  }

  private refuse(operation: string, path: string, why: string): never {
    const context = this.ctx(operation, path);
    throw new UfsError('UNSUPPORTED', `${describeContext(context)} ${why}`, { context });
  }
}
