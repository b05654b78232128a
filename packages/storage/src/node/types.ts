import type { EntryStat, UfsError, VersionInfo } from '@org/core';
import type { ByteSource } from '../util/streams.js';

/** What `node.stat()` returns. */
export type NodeStat = Omit<EntryStat, 'key'> & {
  /**
   * True for a symbolic link in a listing (`node.listed`) of a local or SFTP folder: the entry is described as what
   * it points to (`isFile` or `isDir`). A local recursive listing never enters a link to a folder, and a move never
   * enters one to carry empty folders. Absent elsewhere (`stat()` follows links).
   */
  isLink?: boolean;
};

export type { VersionInfo, ByteSource };

export interface ReadStreamOptions {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, inclusive. */
  end?: number;
  signal?: AbortSignal;
}

export interface NodeWriteOptions {
  /** Default: from the file name (`mimetype`), when it is known. */
  contentType?: string;
  cacheControl?: string;
  /** User metadata (on backends with the `metadata` capability; refused elsewhere). */
  metadata?: Record<string, string>;
  /** Fail with ALREADY_EXISTS when something is already there. */
  ifNotExists?: boolean;
  /**
   * Compare the new content with what is there (size, then hash) and write only when it differs. A plain stream
   * is spooled to a temporary file to be hashed first; replayable sources and buffers are hashed in place.
   */
  skipIfUnchanged?: boolean;
  /**
   * The content's size in bytes, when known. Checked on every backend: content that gives another number of bytes
   * fails the write with INTEGRITY, and nothing is stored.
   */
  size?: number;
  /**
   * The file's modification time, as `stat()` will return it (on backends with the `setModified` capability;
   * refused elsewhere). SFTP keeps whole seconds; object stores keep it as user metadata `mtime`.
   */
  mtime?: Date;
  signal?: AbortSignal;
  /** Bytes sent so far. */
  onProgress?: (loaded: number) => void;
}

export interface WriteOutcome {
  /** False when `skipIfUnchanged` found the same content already there. */
  written: boolean;
  size: number;
  etag?: string;
  versionId?: string;
}

export interface MkdirNodeOptions {
  /** Create missing parents too. Default false. */
  parents?: boolean;
  /** No error when the folder exists. Default false. */
  existOk?: boolean;
}

export interface ListNodeOptions {
  /** Everything below, not only direct children. Default: true when `glob` has a `/` or `**`, else false. */
  recursive?: boolean;
  /**
   * picomatch pattern(s) matched against the path relative to the listed folder; `*` does not cross `/`
   * (use `**`). Dot files match too.
   */
  glob?: string | readonly string[];
  pageSize?: number;
  /** Resume after a page returned by `listPage`. */
  cursor?: string;
  signal?: AbortSignal;
  /**
   * Called for each listed name that can never be a key (a control character or a backslash, which Linux allows
   * in file names): that entry is left out and the listing goes on. The error is INVALID_INPUT and names the
   * entry and why. Default: a warning through the manager's `logger` (else `console.warn`).
   */
  onInvalidName?: (error: UfsError) => void;
  /**
   * Called for each listed entry the backend could not read (a symbolic link in a loop, a name too long to resolve,
   * a stat or a folder refused): such an entry is left out (a folder that could not be read is listed, with nothing
   * below it) and the listing goes on. The error has the backend's code (`INVALID_INPUT` for a loop,
   * `PERMISSION_DENIED` for a refusal) and names the entry and why. Default: a warning, as for `onInvalidName`.
   */
  onUnreadable?: (error: UfsError) => void;
}

export interface DeleteNodeOptions {
  /** Delete a folder with everything in it. */
  recursive?: boolean;
  signal?: AbortSignal;
}

export interface UrlOptions {
  /**
   * Seconds a presigned URL stays valid. Default 3600, or the one lifetime of a backend whose links have a fixed one
   * (Dropbox temporary links: 14400; any other value is UNSUPPORTED there).
   */
  expiresIn?: number;
  /** Content-Disposition for presigned GETs. */
  disposition?: string;
  /** Content type the uploader must send (upload URLs). */
  contentType?: string;
  /** Prefer the public URL even when presigning is possible. */
  public?: boolean;
}

export type HashKind = 'md5' | 'sha256';
