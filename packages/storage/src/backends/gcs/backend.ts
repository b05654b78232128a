import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, File, FileMetadata } from '@google-cloud/storage';
import type { UfsError } from '@org/core';
import {
  capabilities,
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
  type VersionInfo,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import { lookup as lookupMime } from 'mime-types';
import pLimit from 'p-limit';
import { gcsStatus, isMissingBucket, mapGcsError } from './errors.js';
import { abortError, guardedDownload } from './read-stream.js';
import { tagRequests, watchDownload, type DownloadWatch } from './request-tags.js';
import { watchWrite } from './write-requests.js';
import { generationsOf, hasChildren, listPage, namesBelow, objectEntry, storedMetadata } from './list.js';
import { keyContext, keyError, type ConfiguredAddress, type ErrorSite } from '../../errors.js';
import { BlobPaths, byteRange, requireFileKey } from '../../util/blob-paths.js';
import { mtimeIn, withMtime, withoutMtime } from '../../util/mtime-metadata.js';
import { timeoutUfsError, type SocketTimeouts } from '../../util/socket-timeouts.js';
import { folderEntry } from '../../util/entries.js';

export interface GcsBackendSettings {
  bucket: Bucket;
  prefix: string | undefined;
  canSign: boolean;
  versioning: boolean;
  resumableThreshold: number;
  chunkSize: number | undefined;
  /** The mount's name, for errors (`[ufs] [gcs] read "photos:a.jpg": …`). Default `gcs`. */
  mountName?: string;
  /** Limits of the client the backend built: a read's body fails after `timeoutMs` with nothing received. */
  timeouts?: SocketTimeouts;
  /** The API endpoint the mount configured (errors name it when it is `https://` without TLS). */
  address?: ConfiguredAddress;
}

const DELETE_CONCURRENCY = 16;
/** V4 signed URLs live at most 7 days. */
const MAX_SIGNED_SECONDS = 7 * 24 * 3600;

/** Google Cloud Storage through @google-cloud/storage v7 (JSON API). Folders are name prefixes. */
export class GcsBackend implements StorageBackend {
  readonly protocol = 'gcs';
  readonly capabilities: BackendCapabilities;
  private readonly bucket: Bucket;
  private readonly paths: BlobPaths;

  constructor(private readonly settings: GcsBackendSettings) {
    this.bucket = settings.bucket;
    this.paths = new BlobPaths(settings.prefix);
    this.capabilities = capabilities({
      read: true,
      write: true,
      delete: true,
      list: true,
      recursiveList: true,
      range: true,
      copy: true,
      presignGet: settings.canSign,
      presignPut: settings.canSign,
      ...(settings.canSign ? { presignMaxSeconds: MAX_SIGNED_SECONDS } : {}),
      versioning: settings.versioning,
      versionDelete: settings.versioning,
      metadata: true,
      storedHash: 'md5',
      atomicWrite: true,
      conditionalWrite: true,
      // As user metadata `mtime` (util/mtime-metadata.ts), read back by stat() and listings before `updated`.
      setModified: true,
      // RFC 3339 with milliseconds in the `mtime` metadata entry.
      modifiedPrecisionMs: 1,
    });
  }

  /** The mount and protocol errors name: `[ufs] [gcs] read "photos:a.jpg": …`. */
  private get site(): ErrorSite {
    return { mount: this.settings.mountName ?? 'gcs', protocol: 'gcs' };
  }

  private fail(err: unknown, operation: string, key: Key): UfsError {
    const { timeouts, address } = this.settings;
    return mapGcsError(err, keyContext(this.site, operation, key), this.bucket.name, timeouts, address);
  }

  private file(key: Key, versionId?: string, operation = 'read'): File {
    if (versionId === undefined) return this.bucket.file(this.paths.blob(key));
    if (!this.settings.versioning)
      throw keyError('UNSUPPORTED', this.site, operation, key, 'this mount does not declare versioning');
    if (!/^\d+$/.test(versionId))
      throw keyError('INVALID_INPUT', this.site, operation, key, 'versionId must be a GCS generation number');
    return this.bucket.file(this.paths.blob(key), { generation: Number(versionId) });
  }

  /** Object metadata, or null when there is no such object (a missing bucket still throws). */
  private async metadataOf(file: File): Promise<FileMetadata | null> {
    try {
      const [metadata] = await file.getMetadata();
      return metadata;
    } catch (err) {
      if (gcsStatus(err) === 404 && !isMissingBucket(err)) return null;
      throw err;
    }
  }

  async stat(key: Key, options: { versionId?: string; signal?: AbortSignal } = {}): Promise<EntryStat | null> {
    try {
      options.signal?.throwIfAborted();
      if (key === '') {
        const [exists] = await this.bucket.exists();
        if (!exists) throw this.fail({ code: 404, message: 'The specified bucket does not exist.' }, 'stat', key);
        return folderEntry('');
      }
      const metadata = await this.metadataOf(this.file(key, options.versionId, 'stat'));
      if (metadata) return objectEntry(key, metadata);
      if (options.versionId !== undefined) return null;
      return (await hasChildren(this.bucket, this.paths, key)) ? folderEntry(key) : null;
    } catch (err) {
      throw this.fail(err, 'stat', key);
    }
  }

  async read(key: Key, options: ReadOptions = {}): Promise<Readable> {
    requireFileKey(key, this.site, 'read');
    const { offset, count } = byteRange(options, this.site, key);
    let stream: Readable;
    let expected: number | undefined;
    let watch: DownloadWatch | undefined;
    try {
      options.signal?.throwIfAborted();
      // Read the generation that was stat'ed: the stream is of one object version even if a writer replaces it.
      const metadata = await this.metadataOf(this.file(key, options.versionId));
      if (!metadata) throw this.fail({ code: 404, message: 'No such object' }, 'read', key);
      const size = Number(metadata.size ?? 0);
      if (offset >= size) return Readable.from([]);
      const end = count === undefined ? size - 1 : Math.min(size - 1, offset + count - 1);
      const file = this.bucket.file(this.paths.blob(key), { generation: Number(metadata.generation) });
      const whole = offset === 0 && end === size - 1;
      // Whole reads are checked against the stored digest; MD5 (OpenSSL) is ~25× faster than the SDK's JS CRC32C,
      // which is only the fallback for composite objects (they have no MD5).
      const validation = metadata.md5Hash ? 'md5' : 'crc32c';
      // The HTTP response is watched: a body cut short by a plain close fails at once (the SDK never reports it).
      watch = watchDownload();
      tagRequests(file, watch.headers);
      stream = file.createReadStream(whole ? { validation } : { start: offset, end, validation: false });
      // A gzip-encoded object may be served decompressed: its byte count is not the stored size.
      if (!/gzip/i.test(metadata.contentEncoding ?? '')) expected = end - offset + 1;
    } catch (err) {
      watch?.stop();
      throw this.fail(err, 'read', key);
    }
    return guardedDownload(stream, {
      expected,
      idleMs: this.settings.timeouts?.timeoutMs ?? 0,
      signal: options.signal,
      watch,
      lost: (why) => keyError('UNAVAILABLE', this.site, 'read', key, `the connection closed ${why}`),
      timedOut: () => timeoutUfsError('idle', keyContext(this.site, 'read', key), this.settings.timeouts!),
      failed: (err) => this.fail(err, 'read', key),
    });
  }

  async write(
    key: Key,
    source: Readable | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    const { signal } = options;
    let onAbort: (() => void) | undefined;
    try {
      requireFileKey(key, this.site, 'write');
      signal?.throwIfAborted();
      const file = this.bucket.file(this.paths.blob(key));
      // The SDK's upload never cancels its HTTP request when destroyed: an abort cancels the write's requests itself.
      const requests = watchWrite(file);
      // The SDK's one-request upload cannot be cancelled (its HTTP client takes no signal): with a signal, a
      // resumable upload, whose requests go through the watch above.
      const small = !signal && options.size !== undefined && options.size <= this.settings.resumableThreshold;
      const sink = file.createWriteStream({
        resumable: !small,
        // GCS computes the MD5 of every upload; checking it is ~25× cheaper than the SDK's JS CRC32C default.
        validation: 'md5',
        ...(!small && this.settings.chunkSize ? { chunkSize: this.settings.chunkSize } : {}),
        metadata: {
          contentType: options.contentType ?? (lookupMime(key) || 'application/octet-stream'),
          ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
          ...(options.metadata || options.mtime ? { metadata: withMtime(options.metadata, options.mtime) } : {}),
        },
        ...(options.ifNotExists ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      });
      let loaded = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          loaded += chunk.length;
          options.onProgress?.(loaded);
          done(null, chunk);
        },
      });
      const writing = pipeline(input, counter, sink);
      if (signal) {
        onAbort = () => {
          // Once the request that makes the object is out whole, only its answer tells whether the object was made:
          // the write goes on and reports it (as S3's CompleteMultipartUpload), never "aborted" for an object made.
          if (requests.committed()) return;
          // A reason the SDK does not retry; the server never gets the end of the upload, so nothing is made.
          requests.cancel(Object.assign(abortError(signal), { code: 'ABORT_ERR' }));
          counter.destroy(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      await writing;
      const m = file.metadata;
      const result: WriteResult = { key, size: m.size !== undefined ? Number(m.size) : loaded };
      if (m.etag) result.etag = m.etag;
      if (m.generation !== undefined) result.versionId = String(m.generation);
      return result;
    } catch (err) {
      input.destroy();
      throw this.fail(signal?.aborted ? abortError(signal) : err, 'write', key);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async list(key: Key, options: ListOptions = {}): Promise<ListPage> {
    try {
      options.signal?.throwIfAborted();
      return await listPage(this.bucket, this.paths, key, {
        recursive: options.recursive ?? false,
        pageSize: options.pageSize,
        cursor: options.cursor,
        refuse: (detail) => keyError('INVALID_INPUT', this.site, 'list', key, detail),
        site: this.site,
      });
    } catch (err) {
      throw this.fail(err, 'list', key);
    }
  }

  /** Deletes one object; false when there was none. */
  private async deleteObject(file: File): Promise<boolean> {
    try {
      await file.delete();
      return true;
    } catch (err) {
      if (gcsStatus(err) === 404 && !isMissingBucket(err)) return false;
      throw err;
    }
  }

  async delete(key: Key, options: DeleteOptions = {}): Promise<void> {
    try {
      options.signal?.throwIfAborted();
      if (options.versionId !== undefined) {
        requireFileKey(key, this.site, 'delete');
        await this.deleteObject(this.file(key, options.versionId, 'delete'));
        return;
      }
      if (options.recursive) {
        if (key !== '') await this.deleteObject(this.file(key));
        const limit = pLimit(DELETE_CONCURRENCY);
        for await (const names of namesBelow(this.bucket, this.paths, key)) {
          options.signal?.throwIfAborted();
          await Promise.all(names.map((name) => limit(() => this.deleteObject(this.bucket.file(name)))));
        }
        return;
      }
      requireFileKey(key, this.site, 'delete');
      if (await this.deleteObject(this.file(key))) return;
      // A folder whose only content is its own marker object `key/` is empty: its marker goes (as on S3). The marker
      // sorts first below `key/`, so two names tell it from a folder with content.
      const marker = this.paths.folder(key);
      const [files] = await this.bucket.getFiles({ prefix: marker, maxResults: 2, autoPaginate: false });
      options.signal?.throwIfAborted();
      if (files.length === 1 && files[0]!.name === marker) {
        await this.deleteObject(this.bucket.file(marker));
      } else if (files.length > 0) {
        throw keyError(
          'INVALID_INPUT',
          this.site,
          'delete',
          key,
          'it is a folder that is not empty (pass recursive: true to delete the tree)',
        );
      }
    } catch (err) {
      throw this.fail(err, 'delete', key);
    }
  }

  /** Folders are name prefixes: there is nothing to create. */
  async mkdir(): Promise<void> {}

  async copy(from: Key, to: Key, options: CopyOptions = {}): Promise<void> {
    requireFileKey(from, this.site, 'copy');
    requireFileKey(to, this.site, 'copy');
    try {
      options.signal?.throwIfAborted();
      const source = this.file(from);
      // A rewrite body replaces the destination's metadata as a whole: to swap only the user metadata (or the kept
      // modification time), restate the source's content headers with it.
      let body: Record<string, unknown> = {};
      if (options.metadata || options.mtime) {
        const [m] = await source.getMetadata();
        const stored = storedMetadata(m);
        const user = options.metadata ?? withoutMtime(stored);
        body = { metadata: withMtime(user, options.mtime ?? mtimeIn(stored)) };
        for (const field of [
          'contentType',
          'cacheControl',
          'contentDisposition',
          'contentEncoding',
          'contentLanguage',
        ] as const) {
          if (m[field]) body[field] = m[field];
        }
      }
      await source.copy(this.file(to), body);
    } catch (err) {
      throw this.fail(err, 'copy', from);
    }
  }

  async setMetadata(key: Key, metadata: Record<string, string>): Promise<void> {
    requireFileKey(key, this.site, 'setMetadata');
    try {
      const file = this.file(key);
      const [current] = await file.getMetadata();
      // PATCH merges user metadata key by key: null removes the keys that are not in the new set.
      const patch: Record<string, string | null> = {};
      for (const name of Object.keys(current.metadata ?? {})) patch[name] = null;
      // The kept modification time is not user metadata: it stays.
      Object.assign(patch, withMtime(metadata, mtimeIn(storedMetadata(current))));
      await file.setMetadata({ metadata: patch }, { ifMetagenerationMatch: Number(current.metageneration) });
    } catch (err) {
      throw this.fail(err, 'setMetadata', key);
    }
  }

  async versions(key: Key): Promise<VersionInfo[]> {
    requireFileKey(key, this.site, 'versions');
    if (!this.settings.versioning) {
      throw keyError('UNSUPPORTED', this.site, 'versions', key, 'this mount does not declare versioning');
    }
    try {
      return await generationsOf(this.bucket, this.paths.blob(key));
    } catch (err) {
      throw this.fail(err, 'versions', key);
    }
  }

  async presignGet(key: Key, options: PresignOptions): Promise<string> {
    return this.presign(key, options, 'presignGet');
  }

  async presignPut(key: Key, options: PresignOptions): Promise<string> {
    return this.presign(key, options, 'presignPut');
  }

  private async presign(key: Key, options: PresignOptions, operation: 'presignGet' | 'presignPut'): Promise<string> {
    requireFileKey(key, this.site, operation);
    if (!this.settings.canSign) {
      const why = 'signing URLs needs a service-account key (credentials or keyFilename)';
      throw keyError('UNSUPPORTED', this.site, operation, key, why);
    }
    if (!Number.isFinite(options.expiresIn) || options.expiresIn <= 0 || options.expiresIn > MAX_SIGNED_SECONDS) {
      const why = 'expiresIn must be between 1 second and 7 days (V4 signed URLs)';
      throw keyError('INVALID_INPUT', this.site, operation, key, why);
    }
    try {
      const [url] = await this.file(key).getSignedUrl({
        version: 'v4',
        action: operation === 'presignGet' ? 'read' : 'write',
        expires: Date.now() + options.expiresIn * 1000,
        ...(operation === 'presignPut' && options.contentType ? { contentType: options.contentType } : {}),
        ...(operation === 'presignGet' && options.contentType ? { responseType: options.contentType } : {}),
        ...(operation === 'presignGet' && options.disposition ? { responseDisposition: options.disposition } : {}),
      });
      return url;
    } catch (err) {
      throw this.fail(err, operation, key);
    }
  }
}
