/** What a backend really does. Every flag must be true to behaviour: a contract test checks each one. */
export interface BackendCapabilities {
  read: boolean;
  write: boolean;
  delete: boolean;
  list: boolean;
  /** `list({ recursive: true })` is native (no client-side walk needed). */
  recursiveList: boolean;
  /** Byte-range reads. */
  range: boolean;
  append: boolean;
  /** Server-side copy within the backend. */
  copy: boolean;
  /** Native rename/move within the backend. */
  rename: boolean;
  presignGet: boolean;
  presignPut: boolean;
  /** Public (non-signed) URLs for objects. */
  publicUrl: boolean;
  versioning: boolean;
  /** One version can be deleted on its own (`delete(key, { versionId })`); Dropbox revisions cannot. */
  versionDelete: boolean;
  /** User metadata on objects. */
  metadata: boolean;
  /** Real folders that exist on their own (not only as key prefixes). */
  directories: boolean;
  /** Kind of checksum the backend stores and returns in `stat()`, usable without reading the content. */
  storedHash: 'md5' | 'sha256' | 'none';
  /** Writes never leave a partial object visible. */
  atomicWrite: boolean;
  /** `ifNotExists` writes are enforced by the backend itself. */
  conditionalWrite: boolean;
  /**
   * Writes (and server-side copies) keep a given modification time (`WriteOptions.mtime`), which `stat()` then
   * returns as `mtime`. Without it the file's time is when it was written and `mtime` options are ignored.
   */
  setModified: boolean;
  /**
   * How finely the backend keeps modification times, in milliseconds: 1 keeps milliseconds (local, memory, object
   * stores), 1000 whole seconds (SFTP v3, HTTP dates), 2000 two seconds (zip). Absent: 1. `skip: 'modtime'` treats
   * times as equal within the larger of `modifyWindow` and the precision of both sides (as rclone does).
   */
  modifiedPrecisionMs?: number;
  /**
   * The modification times a write can keep (`setModified`), in ms since 1970, inclusive: SFTP v3 carries unsigned
   * 32-bit seconds (1970-01-01 to 2106-02-07). A time outside is not set (the file keeps the time of its writing,
   * never a wrapped one), and `skip: 'modtime'` compares such a file by size. Absent: any time.
   */
  modifiedRange?: { readonly minMs: number; readonly maxMs: number };
  /**
   * The longest lifetime, in seconds, the backend signs a presigned URL for (`presignGet`/`presignPut`): S3 and GCS
   * V4 signatures 7 days, Dropbox temporary links 4 hours. Absent: no limit of its own. A longer `expiresIn` is
   * INVALID_INPUT.
   */
  presignMaxSeconds?: number;
  /**
   * The one lifetime, in seconds, of the backend's presigned GET URLs when it cannot choose one (Dropbox temporary
   * links: 4 hours). `url()` without `expiresIn` asks for it; another `expiresIn` is UNSUPPORTED. Absent: any.
   */
  presignFixedSeconds?: number;
  /**
   * Names that differ only in case are one name (Dropbox): a copy or move there fails the later of two source names
   * that fold together instead of writing both to one file. Absent: case-sensitive.
   */
  caseInsensitive?: boolean;
}

/** A capabilities object with everything off; backends spread their own flags over it. */
export const NO_CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  read: false,
  write: false,
  delete: false,
  list: false,
  recursiveList: false,
  range: false,
  append: false,
  copy: false,
  rename: false,
  presignGet: false,
  presignPut: false,
  publicUrl: false,
  versioning: false,
  versionDelete: false,
  metadata: false,
  directories: false,
  storedHash: 'none',
  atomicWrite: false,
  conditionalWrite: false,
  setModified: false,
});

export function capabilities(flags: Partial<BackendCapabilities>): BackendCapabilities {
  return { ...NO_CAPABILITIES, ...flags };
}

/** The capabilities that imply writing; removed by a read-only mount or layer. */
export const WRITE_CAPABILITIES = [
  'write',
  'delete',
  'append',
  'copy',
  'rename',
  'presignPut',
  'conditionalWrite',
  'atomicWrite',
  'versionDelete',
  'setModified',
] as const satisfies readonly (keyof BackendCapabilities)[];
