import type { FileMetadata } from '@org/core';
import type { RevisionStep } from './catalogue-revision.js';

/**
 * The metadata store: a narrow set of atomic primitives. Every store (embedded SQLite, MongoDB) implements them
 * with its own native atomic operations; the dedup, race and GC logic lives once, above this interface
 * (files/, content/, api-keys/). Timestamps are ISO-8601 UTC strings.
 */

/** One catalogued file: the client's metadata for one (hostname, filepath), plus server fields. */
export interface FileRecord extends FileMetadata {
  id: string;
  created_at: string;
  updated_at: string;
}

/**
 * The server's knowledge of one content (by hash). `present`: the object is in the content mount and verified.
 * `deleting`: a GC or repair has claimed it until `lease_until`; uploads of that hash wait for it to finish.
 */
export interface ContentRecord {
  sha256: string;
  size: number;
  state: 'present' | 'deleting';
  /** Incremented by every change; the compare-and-set token. */
  version: number;
  uploaded_at: string;
  lease_until: string | null;
  verified_at: string | null;
}

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  /** SHA-256 (hex) of the key; the key itself is never stored. */
  key_hash: string;
  name: string;
  description: string | null;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  is_active: boolean;
  /** Requests per minute for this key; null uses the server default. */
  rate_limit_per_minute: number | null;
}

/** A tus upload in progress: each accepted PATCH is one part object in the content mount. */
export interface UploadPart {
  start: number;
  size: number;
  key: string;
}

export interface UploadSession {
  id: string;
  /** Expected SHA-256 of the whole upload (from `Upload-Metadata`). */
  sha256: string;
  length: number;
  offset: number;
  parts: UploadPart[];
  metadata: Record<string, string>;
  created_at: string;
  expires_at: string;
}

export interface FileQuery {
  hostname?: string;
  /** Files whose path starts with this prefix. */
  pathPrefix?: string;
  sha256?: string;
}

export interface PageRequest {
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow. */
  cursor?: string;
}

/** What upsertFilesRevised wrote: the records (input order) and, per hostname written, its revision step. */
export interface RevisedFiles {
  records: FileRecord[];
  revisions: Map<string, RevisionStep>;
}

export type ContentPatch = Partial<Pick<ContentRecord, 'state' | 'lease_until' | 'verified_at'>>;

export interface MetadataStore {
  /** `sqlite` or `mongo`. */
  readonly kind: string;
  /** For health and logs (never secrets): `sqlite /srv/ufs/ufs.db`, `mongo db ufs`. */
  readonly description: string;
  /** Throws UNAVAILABLE when the store cannot be reached. */
  ping(): Promise<void>;
  /**
   * Readiness: one real write, as small as the store allows (a row or document of its own, never seen by the API),
   * taken through the same path and checks as every write, so that it fails the way a request's write would.
   * Throws (UNAVAILABLE when it may pass) when the store cannot take a write now.
   */
  probeWrite(): Promise<void>;
  close(): Promise<void>;

  // ---- files: one record per (hostname, filepath)
  // Every write of a host's records (upsertFile, upsertFiles, upsertFilesRevised, deleteFile) advances that host's
  // catalogue revision (store/catalogue-revision.ts) — with the write itself, atomically, where the store can. A
  // store may leave it when a put leaves every record saying what it said (FILE_FIELDS): SQLite does, MongoDB does not.
  /** Insert, or update the record of the same (hostname, filepath), atomically. Returns the current record. */
  upsertFile(meta: FileMetadata, now: Date): Promise<FileRecord>;
  /** Many upserts, each atomic (the batch as a whole need not be). Results in input order. */
  upsertFiles(metas: readonly FileMetadata[], now: Date): Promise<FileRecord[]>;
  /**
   * upsertFiles, saying how it moved the revision of each hostname it wrote: one step per hostname per call (before =
   * after when it left it). SQLite writes the batch and the revisions in one transaction (`before` always known);
   * MongoDB advances each revision before and after the upserts, and reports `before` only when no other write of
   * that host came in between.
   */
  upsertFilesRevised(metas: readonly FileMetadata[], now: Date): Promise<RevisedFiles>;
  /** The catalogue revision of `hostname` (`0` before any write of its records). */
  catalogueRevision(hostname: string): Promise<string>;
  /**
   * How many of `hostname`'s records lack their content here (put_file would answer `upload_required` for them):
   * from a count or an index the store keeps, never by reading every record of the host. It goes down as content
   * arrives; a store restored from a backup says what the backup held, so a client that remembers fewer can tell
   * that content it uploaded since is gone. A store may count more than there are (MongoDB, after a write that raced
   * an upload), never fewer, except while content is removed (which changes the catalogue epoch).
   */
  recordsWithoutContent(hostname: string): Promise<number>;
  getFile(id: string): Promise<FileRecord | null>;
  findFile(hostname: string, filepath: string): Promise<FileRecord | null>;
  listFiles(query: FileQuery, page: PageRequest): Promise<Page<FileRecord>>;
  deleteFile(id: string): Promise<FileRecord | null>;
  countFilesWithHash(sha256: string): Promise<number>;

  // ---- content records, keyed by hash
  getContent(sha256: string): Promise<ContentRecord | null>;
  getContents(sha256s: readonly string[]): Promise<Map<string, ContentRecord>>;
  /** Inserts unless a record for that hash exists; true when this call inserted it. */
  insertContentIfAbsent(record: ContentRecord): Promise<boolean>;
  /** Applies `patch` and increments `version` only if the version is still `expectedVersion`; null otherwise. */
  updateContentIf(sha256: string, expectedVersion: number, patch: ContentPatch): Promise<ContentRecord | null>;
  /** Deletes only if the version is still `expectedVersion`. */
  deleteContentIf(sha256: string, expectedVersion: number): Promise<boolean>;
  /** Content records in hash order. */
  listContent(page: PageRequest): Promise<Page<ContentRecord>>;

  // ---- API keys, found by key hash
  insertApiKey(record: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'is_active' | 'last_used_at'>>): Promise<boolean>;
  deleteApiKey(id: string): Promise<boolean>;

  // ---- counters (rate limits): shared by every replica
  /** Atomically adds 1 to the counter `key` (created at 1, expiring at `expiresAt`) and returns the new value. */
  incrementCounter(key: string, expiresAt: Date): Promise<number>;
  purgeExpiredCounters(now: Date): Promise<number>;

  // ---- tus upload sessions
  insertUpload(session: UploadSession): Promise<void>;
  getUpload(id: string): Promise<UploadSession | null>;
  /** Sets offset and parts only if the offset is still `expectedOffset` (one PATCH wins); null otherwise. */
  advanceUpload(id: string, expectedOffset: number, offset: number, parts: UploadPart[]): Promise<UploadSession | null>;
  deleteUpload(id: string): Promise<boolean>;
  listExpiredUploads(now: Date, limit: number): Promise<UploadSession[]>;

  // ---- leases: short claims shared by every replica (one request finishes a tus upload)
  /**
   * Takes the lease `name` for `token` until `until` when it is free, expired at `now`, or held by `token` already
   * (a renewal), atomically; true when `token` holds it now.
   */
  claimLease(name: string, token: string, until: Date, now: Date): Promise<boolean>;
  /** Gives the lease up if `token` still holds it. */
  releaseLease(name: string, token: string): Promise<void>;

  // ---- settings: server-wide values shared by every replica (the content URL signing secret, the catalogue epoch)
  /**
   * Inserts `value` under `name` unless a value is already stored, atomically; returns the stored value (the one
   * given when this call inserted it), so concurrent callers on any replica all get the same value.
   */
  getOrInsertSetting(name: string, value: string): Promise<string>;
  /** Stores `value` under `name`, replacing any value stored before (every replica reads the new one). */
  setSetting(name: string, value: string): Promise<void>;
}

/** Nest injection token of the MetadataStore. */
export const METADATA_STORE = Symbol('ufs.MetadataStore');
