import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  type BlobHTTPHeaders,
  type ContainerClient,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { UfsError } from '@org/core';
import {
  capabilities,
  HashingStream,
  type BackendCapabilities,
  type CopyOptions,
  type DeleteOptions,
  type EntryStat,
  type Key,
  type ListOptions,
  type ListPage,
  type PresignOptions,
  type ReadOptions,
  type StorageBackend,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import { lookup as lookupMime } from 'mime-types';
import pLimit from 'p-limit';
import { azureStatus, mapAzureError } from './errors.js';
import { blobNamesBelow, hasChildren, listPage } from './list.js';
import { mtimeIn, withMtime, withoutMtime } from '../../util/mtime-metadata.js';
import { decodeMetadata, encodeMetadata } from './metadata.js';
import { keyContext, keyError, type ConfiguredAddress, type ErrorSite } from '../../errors.js';
import { BlobPaths, byteRange, requireFileKey } from '../../util/blob-paths.js';
import { socketTimedOut } from '../../util/socket-timeouts.js';
import { folderEntry } from '../../util/entries.js';

export interface AzureBackendSettings {
  container: ContainerClient;
  /** Present when SAS URLs can be signed (account key known). */
  sharedKey: StorageSharedKeyCredential | undefined;
  prefix: string | undefined;
  blockSize: number;
  concurrency: number;
  /** The mount's name, for errors (`[ufs] [azure] read "photos:a.jpg": …`). Default `azure`. */
  mountName?: string;
  /** HTTP agents of a client built for this mount, closed by dispose(). */
  agents?: { destroy(): void }[];
  /** The blob service address the mount configured (errors name it when it is `https://` without TLS). */
  address?: ConfiguredAddress;
}

const DELETE_CONCURRENCY = 16;
/** Azure limits: 50,000 committed blocks per blob, 4000 MiB per block. */
const MAX_BLOCKS = 50_000;
const MAX_BLOCK_BYTES = 4000 * 1024 * 1024;
const MIN_BLOCK_BYTES = 1024 * 1024;

/** What an aborted signal stands for: a timeout (AbortSignal.timeout) or a plain abort, whatever its reason. */
function abortReason(signal: AbortSignal): Error {
  const reason = signal.reason as { name?: unknown } | undefined;
  const error = new Error('aborted');
  error.name = reason?.name === 'TimeoutError' ? 'TimeoutError' : 'AbortError';
  return error;
}

/** Azure Blob Storage (block blobs) through @azure/storage-blob. Folders are name prefixes. */
export class AzureBackend implements StorageBackend {
  readonly protocol = 'azure';
  readonly capabilities: BackendCapabilities;
  private readonly container: ContainerClient;
  private readonly sharedKey: StorageSharedKeyCredential | undefined;
  private readonly paths: BlobPaths;

  constructor(private readonly settings: AzureBackendSettings) {
    this.container = settings.container;
    this.sharedKey = settings.sharedKey;
    this.paths = new BlobPaths(settings.prefix);
    const canSign = settings.sharedKey !== undefined;
    this.capabilities = capabilities({
      read: true,
      write: true,
      delete: true,
      list: true,
      recursiveList: true,
      range: true,
      copy: true,
      presignGet: canSign,
      presignPut: canSign,
      metadata: true,
      storedHash: 'md5',
      atomicWrite: true,
      conditionalWrite: true,
      // As blob metadata `mtime` (util/mtime-metadata.ts, rclone's key), read back before Last-Modified.
      setModified: true,
      // RFC 3339 with milliseconds in the `mtime` metadata entry.
      modifiedPrecisionMs: 1,
    });
  }

  /** The mount and protocol errors name: `[ufs] [azure] read "photos:a.jpg": …`. */
  private get site(): ErrorSite {
    return { mount: this.settings.mountName ?? 'azure', protocol: 'azure' };
  }

  /** `signal`: the caller's, so that only its abort reads as ABORTED (a lost connection is UNAVAILABLE). */
  private fail(err: unknown, operation: string, key: Key, signal?: AbortSignal): UfsError {
    const context = keyContext(this.site, operation, key);
    return mapAzureError(err, context, this.container.containerName, signal, this.settings.address);
  }

  private blob(key: Key) {
    return this.container.getBlockBlobClient(this.paths.blob(key));
  }

  async stat(key: Key, options: { versionId?: string; signal?: AbortSignal } = {}): Promise<EntryStat | null> {
    try {
      if (key === '') {
        if (!(await this.container.exists({ abortSignal: options.signal }))) {
          throw this.fail({ statusCode: 404, details: { errorCode: 'ContainerNotFound' } }, 'stat', key);
        }
        return folderEntry('');
      }
      if (options.versionId !== undefined) throw this.noVersions('stat', key);
      try {
        const p = await this.blob(key).getProperties({ abortSignal: options.signal });
        const entry: EntryStat = {
          key,
          isFile: true,
          isDir: false,
          size: p.contentLength ?? 0,
          metadata: decodeMetadata(withoutMtime(p.metadata)),
        };
        const mtime = mtimeIn(p.metadata) ?? p.lastModified;
        if (mtime) entry.mtime = mtime;
        if (p.etag) entry.etag = p.etag;
        if (p.contentType) entry.contentType = p.contentType;
        if (p.cacheControl) entry.cacheControl = p.cacheControl;
        if (p.versionId) entry.versionId = p.versionId;
        if (p.contentMD5 && p.contentMD5.length > 0) {
          entry.hash = { algorithm: 'md5', value: Buffer.from(p.contentMD5).toString('hex') };
        }
        return entry;
      } catch (err) {
        const mapped = this.fail(err, 'stat', key, options.signal);
        if (mapped.code !== 'NOT_FOUND' || mapped.context.azureCode === 'ContainerNotFound') throw mapped;
        return (await hasChildren(this.container, this.paths, key, options.signal)) ? folderEntry(key) : null;
      }
    } catch (err) {
      throw this.fail(err, 'stat', key, options.signal);
    }
  }

  async read(key: Key, options: ReadOptions = {}): Promise<Readable> {
    requireFileKey(key, this.site, 'read');
    if (options.versionId !== undefined) throw this.noVersions('read', key);
    const { offset, count } = byteRange(options, this.site, key);
    let response;
    try {
      response = await this.blob(key).download(offset, count, { abortSignal: options.signal, maxRetryRequests: 3 });
    } catch (err) {
      // A start at or past the end of the blob: nothing to read (like fs.createReadStream).
      if (azureStatus(err) === 416 && offset > 0) return Readable.from([]);
      throw this.fail(err, 'read', key, options.signal);
    }
    const body = response.readableStreamBody as Readable | undefined;
    if (!body) throw keyError('UNEXPECTED', this.site, 'read', key, 'the response has no body');
    return this.mapStreamErrors(body, key, options.signal);
  }

  /** Errors raised while the body streams become UfsErrors too. */
  private mapStreamErrors(body: Readable, key: Key, signal: AbortSignal | undefined): Readable {
    const out = new Readable({
      read: () => body.resume(),
      destroy: (err, callback) => {
        body.destroy();
        callback(err);
      },
    });
    body.on('data', (chunk: Buffer) => {
      if (!out.push(chunk)) body.pause();
    });
    body.once('end', () => out.push(null));
    body.once('error', (err) => {
      // The SDK's stream reports a socket closed by the idle timeout (timeoutMs) as a plain abort; its source (the
      // HTTP response) knows better.
      const timeout = socketTimedOut((body as Readable & { source?: unknown }).source);
      out.destroy(this.fail(timeout ?? err, 'read', key, signal));
    });
    return out;
  }

  async write(
    key: Key,
    source: Readable | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    try {
      requireFileKey(key, this.site, 'write');
      options.signal?.throwIfAborted();
      const blob = this.blob(key);
      if (options.ifNotExists && (await blob.exists({ abortSignal: options.signal }))) {
        throw this.fail({ statusCode: 409, details: { errorCode: 'BlobAlreadyExists' } }, 'write', key);
      }
      // The MD5 is known only once the stream has ended; uploadStream commits the block list after that and reads
      // the headers then, so the getter hands it the digest of every byte (Content-MD5 of the whole blob). Read
      // any earlier (it is not), it would give nothing rather than a wrong value.
      const hashing = new HashingStream(['md5']);
      const digest = () => {
        try {
          return Buffer.from(hashing.digest('md5'), 'hex');
        } catch {
          return undefined;
        }
      };
      const headers: BlobHTTPHeaders = {
        blobContentType: options.contentType ?? (lookupMime(key) || 'application/octet-stream'),
        ...(options.cacheControl ? { blobCacheControl: options.cacheControl } : {}),
      };
      Object.defineProperty(headers, 'blobContentMD5', {
        enumerable: true,
        get: digest,
      });
      const feeding = pipeline(input, hashing).catch(() => undefined);
      // uploadStream only notices an abort when it sends the next block: stop reading the source at once.
      const onAbort = () => hashing.destroy(abortReason(options.signal!));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await blob.uploadStream(hashing, this.blockSizeFor(options.size), this.settings.concurrency, {
          blobHTTPHeaders: headers,
          metadata: encodeMetadata(withMtime(options.metadata, options.mtime)),
          conditions: options.ifNotExists ? { ifNoneMatch: '*' } : {},
          abortSignal: options.signal,
          onProgress: options.onProgress ? (p) => options.onProgress!(p.loadedBytes) : undefined,
        });
        const written: WriteResult = { key, size: hashing.size };
        if (result.etag) written.etag = result.etag;
        if (result.versionId) written.versionId = result.versionId;
        return written;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        hashing.destroy();
        await feeding;
      }
    } catch (err) {
      input.destroy();
      throw this.fail(options.signal?.aborted ? abortReason(options.signal) : err, 'write', key, options.signal);
    }
  }

  /**
   * Block size of one upload: the configured one, smaller (down to 1 MiB) for a small file of known size
   * (uploadStream allocates whole blocks), larger when the known size would need more than Azure's 50,000 blocks.
   */
  private blockSizeFor(size: number | undefined): number {
    const configured = this.settings.blockSize;
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) return configured;
    // Not below 1 MiB: a size hint that is too small must not shrink blocks to nothing.
    if (size < configured) return Math.max(size, MIN_BLOCK_BYTES);
    return Math.min(MAX_BLOCK_BYTES, Math.max(configured, Math.ceil(size / MAX_BLOCKS)));
  }

  async list(key: Key, options: ListOptions = {}): Promise<ListPage> {
    try {
      return await listPage(this.container, this.paths, key, {
        recursive: options.recursive ?? false,
        pageSize: options.pageSize,
        cursor: options.cursor,
        refuse: (detail) => keyError('INVALID_INPUT', this.site, 'list', key, detail),
        signal: options.signal,
        site: this.site,
      });
    } catch (err) {
      throw this.fail(err, 'list', key, options.signal);
    }
  }

  async delete(key: Key, options: DeleteOptions = {}): Promise<void> {
    if (options.versionId !== undefined) throw this.noVersions('delete', key);
    try {
      if (options.recursive) {
        if (key !== '') await this.blob(key).deleteIfExists({ abortSignal: options.signal });
        const limit = pLimit(DELETE_CONCURRENCY);
        for await (const names of blobNamesBelow(this.container, this.paths, key, options.signal)) {
          await Promise.all(
            names.map((name) =>
              limit(() => this.container.getBlobClient(name).deleteIfExists({ abortSignal: options.signal })),
            ),
          );
        }
        return;
      }
      requireFileKey(key, this.site, 'delete');
      const { succeeded } = await this.blob(key).deleteIfExists({ abortSignal: options.signal });
      if (succeeded) return;
      // A folder whose only content is its own marker blob `key/` is empty: its marker goes (as on S3). The marker
      // sorts first below `key/`, so two names tell it from a folder with content.
      const marker = this.paths.folder(key);
      const pages = this.container
        .listBlobsFlat({ prefix: marker, abortSignal: options.signal })
        .byPage({ maxPageSize: 2 });
      const names = ((await pages.next()).value?.segment.blobItems ?? []).map((item: { name: string }) => item.name);
      if (names.length === 1 && names[0] === marker) {
        await this.container.getBlobClient(marker).deleteIfExists({ abortSignal: options.signal });
      } else if (names.length > 0) {
        throw keyError(
          'INVALID_INPUT',
          this.site,
          'delete',
          key,
          'it is a folder that is not empty (pass recursive: true to delete the tree)',
        );
      }
    } catch (err) {
      throw this.fail(err, 'delete', key, options.signal);
    }
  }

  /** Folders are name prefixes: there is nothing to create. */
  async mkdir(): Promise<void> {}

  async copy(from: Key, to: Key, options: CopyOptions = {}): Promise<void> {
    requireFileKey(from, this.site, 'copy');
    requireFileKey(to, this.site, 'copy');
    try {
      // Same account: the destination request's own credential authorises the source (its URL carries the SAS
      // when the mount uses one). Properties (Content-MD5, type) and, unless replaced, metadata (with the kept
      // modification time) are copied.
      let metadata: Record<string, string> | undefined;
      if (options.metadata || options.mtime) {
        const stored = (await this.blob(from).getProperties({ abortSignal: options.signal })).metadata;
        const user = options.metadata ?? decodeMetadata(withoutMtime(stored));
        metadata = encodeMetadata(withMtime(user, options.mtime ?? mtimeIn(stored)));
      }
      const poller = await this.blob(to).beginCopyFromURL(this.blob(from).url, {
        abortSignal: options.signal,
        ...(metadata ? { metadata } : {}),
      });
      const result = await poller.pollUntilDone();
      if (result.copyStatus !== 'success') {
        const why = `copy to "${to}" ended with status ${result.copyStatus ?? 'unknown'}`;
        throw keyError('UNEXPECTED', this.site, 'copy', from, why, { context: { to } });
      }
    } catch (err) {
      throw this.fail(err, 'copy', from, options.signal);
    }
  }

  async setMetadata(key: Key, metadata: Record<string, string>): Promise<void> {
    requireFileKey(key, this.site, 'setMetadata');
    try {
      // The kept modification time is not user metadata: it stays.
      const stored = (await this.blob(key).getProperties()).metadata;
      await this.blob(key).setMetadata(encodeMetadata(withMtime(metadata, mtimeIn(stored))));
    } catch (err) {
      throw this.fail(err, 'setMetadata', key);
    }
  }

  async presignGet(key: Key, options: PresignOptions): Promise<string> {
    return this.presign(key, options, 'presignGet', 'r');
  }

  async presignPut(key: Key, options: PresignOptions): Promise<string> {
    return this.presign(key, options, 'presignPut', 'cw');
  }

  private presign(key: Key, options: PresignOptions, operation: string, permissions: string): string {
    requireFileKey(key, this.site, operation);
    if (!this.sharedKey) {
      const why = 'signing SAS URLs needs the account key (this mount has none)';
      throw keyError('UNSUPPORTED', this.site, operation, key, why);
    }
    if (!Number.isFinite(options.expiresIn) || options.expiresIn <= 0)
      throw keyError('INVALID_INPUT', this.site, operation, key, 'expiresIn must be > 0 seconds');
    const blob = this.blob(key);
    const sas = generateBlobSASQueryParameters(
      {
        containerName: this.container.containerName,
        blobName: blob.name,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + options.expiresIn * 1000),
        ...(permissions === 'r' && options.contentType ? { contentType: options.contentType } : {}),
        ...(permissions === 'r' && options.disposition ? { contentDisposition: options.disposition } : {}),
      },
      this.sharedKey,
    );
    return `${blob.url}?${sas.toString()}`;
  }

  private noVersions(operation: string, key: Key): UfsError {
    return keyError('UNSUPPORTED', this.site, operation, key, 'blob versions are not supported');
  }

  /** Closes the kept-alive sockets of the client this mount built. */
  async dispose(): Promise<void> {
    for (const agent of this.settings.agents ?? []) agent.destroy();
  }
}
