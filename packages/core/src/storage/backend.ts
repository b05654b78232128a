import type { Readable } from 'node:stream';
import type { BackendCapabilities } from './capabilities.js';

/**
 * Keys given to a backend are already normalised by `normalizeKey`: relative, `/`-separated, no `.`/`..`,
 * no empty segments. The empty key `''` is the backend's root.
 */
export type Key = string;

export interface EntryStat {
  key: Key;
  isFile: boolean;
  isDir: boolean;
  /** Bytes; 0 for folders. */
  size: number;
  mtime?: Date;
  etag?: string;
  contentType?: string;
  cacheControl?: string;
  versionId?: string;
  metadata?: Record<string, string>;
  /** Stored checksum usable without reading, in the kind of `capabilities.storedHash`, lowercase hex. */
  hash?: { algorithm: 'md5' | 'sha256'; value: string };
  /**
   * A temporary file of the backend's own (a write in progress, or one a crash left behind), listed only with
   * `ListOptions.includeTemporary`. Its key can be given to `stat` and `delete`; its `mtime` says when it was last
   * written, so a cleaner can tell a leftover from a write in flight.
   */
  temporary?: true;
}

export interface ReadOptions {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, inclusive (like `fs.createReadStream`). */
  end?: number;
  versionId?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  contentType?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  /** Fail with ALREADY_EXISTS when the key exists. */
  ifNotExists?: boolean;
  /** Total size when known (lets backends choose single vs multipart). */
  size?: number;
  /**
   * The file's modification time, kept by backends with `capabilities.setModified` (and returned by `stat()` as
   * `mtime`); others ignore it.
   */
  mtime?: Date;
  signal?: AbortSignal;
  onProgress?: (loaded: number) => void;
}

export interface WriteResult {
  key: Key;
  size: number;
  etag?: string;
  versionId?: string;
}

export interface ListOptions {
  recursive?: boolean;
  pageSize?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /**
   * Also list the temporary files the backend writes through and hides from listings (local: `.ufs-*.tmp` next to
   * the file being written; SFTP and WebDAV: `.ufs-upload-*`), marked `temporary: true`, for a cleaner of what
   * crashed writes left behind. Backends without such files ignore it. Keep the same value for every page of a listing.
   */
  includeTemporary?: boolean;
  signal?: AbortSignal;
}

export interface ListPage {
  entries: EntryStat[];
  /** Present when more entries follow. */
  cursor?: string;
}

export interface DeleteOptions {
  recursive?: boolean;
  versionId?: string;
  signal?: AbortSignal;
}

export interface MkdirOptions {
  parents?: boolean;
  existOk?: boolean;
}

export interface CopyOptions {
  /** Replace user metadata instead of copying it. */
  metadata?: Record<string, string>;
  /** The copy's modification time, on backends with `capabilities.setModified` (others ignore it). */
  mtime?: Date;
  signal?: AbortSignal;
}

export interface PresignOptions {
  /** Seconds the URL stays valid. */
  expiresIn: number;
  contentType?: string;
  /** Content-Disposition for GETs. */
  disposition?: string;
}

export interface VersionInfo {
  versionId: string;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  mtime?: Date;
  etag?: string;
}

/**
 * A storage system. Required operations first; optional ones exist only when the matching capability is true.
 * All methods throw `UfsError`s (NOT_FOUND, PERMISSION_DENIED, …) with context.
 */
export interface StorageBackend {
  /** Protocol name, e.g. `s3`. */
  readonly protocol: string;
  readonly capabilities: BackendCapabilities;

  /** Metadata of a key, or `null` when nothing is there. */
  stat(key: Key, options?: { versionId?: string; signal?: AbortSignal }): Promise<EntryStat | null>;
  /** A stream of the content (or of a byte range). NOT_FOUND when missing. */
  read(key: Key, options?: ReadOptions): Promise<Readable>;
  /** Writes the whole source under key, replacing what was there (unless `ifNotExists`). */
  write(key: Key, source: Readable | AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<WriteResult>;
  /** One page of entries directly under (or, recursive, anywhere below) the folder `key`. */
  list(key: Key, options?: ListOptions): Promise<ListPage>;
  delete(key: Key, options?: DeleteOptions): Promise<void>;
  mkdir(key: Key, options?: MkdirOptions): Promise<void>;

  copy?(from: Key, to: Key, options?: CopyOptions): Promise<void>;
  rename?(from: Key, to: Key): Promise<void>;
  append?(key: Key, source: Readable | AsyncIterable<Uint8Array>, options?: { signal?: AbortSignal }): Promise<void>;
  presignGet?(key: Key, options: PresignOptions): Promise<string>;
  presignPut?(key: Key, options: PresignOptions): Promise<string>;
  publicUrl?(key: Key): string;
  versions?(key: Key): Promise<VersionInfo[]>;
  setMetadata?(key: Key, metadata: Record<string, string>): Promise<void>;
  /** A real local filesystem path for the key, on backends that have one. */
  localPath?(key: Key): Promise<string>;
  /** Release clients and sockets. */
  dispose?(): Promise<void>;
}

/** Context handed to a backend factory by the storage manager. */
export interface BackendContext {
  /** The mount's name, used in error messages. */
  mountName: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** Creates a backend from a mount's (validated) options. Registered under a protocol name. */
export type BackendFactory<Options = Record<string, unknown>> = (
  options: Options,
  context: BackendContext,
) => StorageBackend | Promise<StorageBackend>;

/** A wrapper that takes a backend and returns one: retry, timeout, concurrency limit, logging, metrics, read-only. */
export type Layer = (backend: StorageBackend) => StorageBackend;

/** Applies layers in order: the first layer is innermost (closest to the backend). */
export function applyLayers(backend: StorageBackend, layers: readonly Layer[]): StorageBackend {
  return layers.reduce<StorageBackend>((inner, layer) => layer(inner), backend);
}
