import { existsSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { UfsError, nativeModuleNotBuilt, type FileMetadata } from '@org/core';
import { decodeCursor, encodeCursor } from '../store/cursor.js';
import { prefixUpperBound } from '../store/prefix-range.js';
import type {
  ApiKeyRecord,
  ContentPatch,
  ContentRecord,
  FileQuery,
  FileRecord,
  MetadataStore,
  Page,
  PageRequest,
  RevisedFiles,
  UploadPart,
  UploadSession,
} from '../store/store.js';
import { SQLITE_SCHEMA } from './schema.js';
import {
  apiKeyFromRow,
  fileFromRow,
  uploadFromRow,
  type ApiKeyRow,
  type ContentRow,
  type FileRow,
  type UploadRow,
} from './rows.js';
import { Checkpointer } from './checkpointer.js';
import { GroupCommit } from './group-commit.js';
import { sqliteStatements, type SqliteStatements } from './statements.js';
import { SqliteRevisions } from './catalogue-revisions.js';
import { SqliteContentGaps } from './content-gaps.js';
import { SqliteFileUpserts } from './file-upserts.js';
import { createPrivateStoreFile } from './private-file.js';
import { checkSchemaVersion, recordSchemaVersion } from './schema-version.js';
import { StoreFiles, openFailure, storeFileError, storeFileProblem, unwritableError } from './store-files.js';

export interface SqliteStoreOptions {
  /** Database file; `:memory:` only for unit tests (not durable, not shared). */
  path: string;
  /** How long a writer waits for another process's lock before failing with UNAVAILABLE. Default 10 s. */
  busyTimeoutMs?: number;
  /**
   * Size the WAL file is cut back to each time it starts over after a checkpoint (SQLite's journal_size_limit).
   * Without it the file keeps its high-water mark: a large import leaves a WAL of that size on disk for good.
   * Default 64 MiB.
   */
  walSizeLimitBytes?: number;
}

const CONTENT_PATCH_FIELDS = ['state', 'lease_until', 'verified_at'] as const;

const PROCESS_RANDOM = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** ObjectId-like ids (time, per-process random, counter): unique across processes, and appended at the end of the index. */
function newId(): string {
  counter = (counter + 1) % 0x1000000;
  const time = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${time}${PROCESS_RANDOM}${counter.toString(16).padStart(6, '0')}`;
}

/**
 * The embedded store: one SQLite file in WAL mode (durable across crashes, shared safely by several processes on
 * one machine). Each primitive is one SQL statement (`INSERT … ON CONFLICT`, `UPDATE … WHERE version = ?
 * RETURNING`) or one IMMEDIATE transaction, so it is atomic across processes.
 */
export class SqliteStore implements MetadataStore {
  readonly kind = 'sqlite';
  readonly description: string;
  private readonly db: Database.Database;
  private readonly sql: SqliteStatements;
  private readonly upserts: SqliteFileUpserts;
  /** Per-host catalogue revisions, advanced inside each write of that host's records. */
  private readonly revisions: SqliteRevisions;
  /** Per-host counts of records without content, kept by triggers (content-gaps.ts). */
  private readonly gaps: SqliteContentGaps;
  private readonly group: GroupCommit;
  private readonly checkpointer: Checkpointer | undefined;
  /** Asked before SQLite writes to the store's files (see StoreFiles); none in memory. */
  private readonly files: StoreFiles | undefined;

  constructor(options: SqliteStoreOptions) {
    this.description = `sqlite ${options.path}`;
    this.files = options.path === ':memory:' ? undefined : new StoreFiles(options.path);
    const walLimit = options.walSizeLimitBytes ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(walLimit) || walLimit < 0)
      throw new UfsError('CONFIG_INVALID', `[ufs] [sqlite] walSizeLimitBytes must be bytes >= 0 (got ${walLimit})`, {
        context: { backend: 'sqlite', operation: 'open' },
      });
    // A store file SQLite cannot open (a folder, a dangling link, one it may not read, text; the -wal and -shm files
    // too): named, as a configuration error, instead of SQLite's "unable to open database file", before anything is
    // made.
    const found = options.path === ':memory:' ? undefined : storeFileProblem(options.path);
    if (found) throw storeFileError(found.file, found.problem);
    const existed = options.path === ':memory:' || existsSync(options.path);
    let opened: Database.Database | undefined;
    try {
      // Made private (0700 folders, a 0600 file) when new: the file holds the URL-signing secret.
      if (options.path !== ':memory:') createPrivateStoreFile(options.path);
      this.db = opened = new Database(options.path);
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      this.db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a commit survives a process crash (the WAL is on disk before the call returns); only an OS
      // crash or power loss may drop the last commits. mmap and a larger cache make point lookups cheaper.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('mmap_size = 268435456');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('temp_store = MEMORY');
      this.db.pragma(`journal_size_limit = ${walLimit}`);
      // Checkpoints run in a worker thread (Checkpointer) for file stores; in memory SQLite checkpoints itself.
      if (options.path !== ':memory:') this.db.pragma('wal_autocheckpoint = 0');
      checkSchemaVersion(this.db, options.path);
      this.db.exec(SQLITE_SCHEMA);
      recordSchemaVersion(this.db);
    } catch (err) {
      if (err instanceof UfsError) {
        opened?.close();
        throw err; // a store of a newer ufs (checkSchemaVersion)
      }
      // SQLite could not open the files after all (a header that looked right, a WAL it cannot use): CONFIG_INVALID
      // naming them; an empty database file this open made is removed again.
      const file = this.files?.diagnose()?.file ?? options.path;
      const refused =
        nativeModuleNotBuilt(err, { backend: 'sqlite', operation: 'open' }) ??
        (options.path === ':memory:' ? undefined : openFailure(file, err));
      if (refused) {
        opened?.close();
        if (!existed && statSync(options.path, { throwIfNoEntry: false })?.size === 0) rmSync(options.path);
        throw refused;
      }
      throw this.fail(err, 'open');
    }
    this.sql = sqliteStatements(this.db);
    this.upserts = new SqliteFileUpserts(this.db);
    this.revisions = new SqliteRevisions(this.db);
    this.gaps = new SqliteContentGaps(this.db);
    this.group = new GroupCommit(this.db, () => this.files?.assertWritable('write'));
    if (options.path !== ':memory:') {
      this.checkpointer = new Checkpointer(options.path, 1000, () => {
        // The worker cannot checkpoint: fall back to SQLite's own checkpoints on this connection.
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
  }

  private fail(err: unknown, operation: string): UfsError {
    const code = (err as { code?: unknown }).code;
    // An I/O error of SQLite's (a WAL or database file it may not write): name the file when that is why.
    const io = typeof code === 'string' && /^SQLITE_(IOERR|READONLY|CANTOPEN)/.test(code);
    const problem = io ? this.files?.diagnose() : undefined;
    if (problem) return unwritableError(operation, problem.file, problem.code, err);
    const busy = typeof code === 'string' && code.startsWith('SQLITE_BUSY');
    // A full disk (SQLITE_FULL) is the server's and may pass, as ENOSPC is elsewhere: 503, not retryable at once.
    const full = code === 'SQLITE_FULL';
    return new UfsError(
      busy || full ? 'UNAVAILABLE' : 'UNEXPECTED',
      `[ufs] [sqlite] ${operation}: ${(err as Error).message}`,
      { cause: err, retryable: busy, context: { backend: 'sqlite', operation } },
    );
  }

  private run<T>(operation: string, fn: () => T): Promise<T> {
    try {
      // A read writes its read mark into the WAL index: checked too, at most once a millisecond.
      this.files?.assertWritable(operation, 1);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof UfsError ? err : this.fail(err, operation));
    }
  }

  /** A write: queued into the current group commit (see GroupCommit). */
  private write<T>(operation: string, fn: () => T): Promise<T> {
    return this.group.run(fn).catch((err: unknown) => {
      throw err instanceof UfsError ? err : this.fail(err, operation);
    });
  }

  ping(): Promise<void> {
    return this.run('ping', () => void this.sql.ping.get());
  }

  /**
   * One row rewritten in a group commit like any write: the WAL index check (StoreFiles) comes first, so an immutable
   * `-shm` fails it with UNAVAILABLE instead of a SIGBUS, and an unwritable WAL or database file fails SQLite's commit.
   */
  probeWrite(): Promise<void> {
    return this.write('probe write', () => void this.sql.probe.run(new Date().toISOString()));
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    return this.run('close', () => void (this.db.open && this.db.close()));
  }

  // ---- files
  upsertFile(meta: FileMetadata, now: Date): Promise<FileRecord> {
    return this.write('upsert file', () => {
      const { record, changed } = this.upserts.put(meta, newId(), now.toISOString());
      if (changed) this.revisions.bump(meta.hostname);
      return record;
    });
  }

  async upsertFiles(metas: readonly FileMetadata[], now: Date): Promise<FileRecord[]> {
    return (await this.upsertFilesRevised(metas, now)).records;
  }

  upsertFilesRevised(metas: readonly FileMetadata[], now: Date): Promise<RevisedFiles> {
    const iso = now.toISOString();
    // All or nothing without a transaction of its own: a write of the group commit rolls back whole when it throws,
    // the revisions with the records.
    return this.write('upsert files', () => {
      const changed = new Set<string>();
      const records = metas.map((meta) => {
        const put = this.upserts.put(meta, newId(), iso);
        if (put.changed) changed.add(meta.hostname);
        return put.record;
      });
      return {
        records,
        revisions: this.revisions.advanceAll(
          metas.map((m) => m.hostname),
          changed,
        ),
      };
    });
  }

  catalogueRevision(hostname: string): Promise<string> {
    return this.run('read catalogue revision', () => this.revisions.read(hostname));
  }

  recordsWithoutContent(hostname: string): Promise<number> {
    return this.run('read records without content', () => this.gaps.read(hostname));
  }

  getFile(id: string): Promise<FileRecord | null> {
    return this.run('get file', () => {
      const row = this.sql.getFile.get(id) as FileRow | undefined;
      return row ? fileFromRow(row) : null;
    });
  }

  findFile(hostname: string, filepath: string): Promise<FileRecord | null> {
    return this.run('find file', () => {
      const row = this.sql.findFile.get(hostname, filepath) as FileRow | undefined;
      return row ? fileFromRow(row) : null;
    });
  }

  listFiles(query: FileQuery, page: PageRequest): Promise<Page<FileRecord>> {
    return this.run('list files', () => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.hostname !== undefined) {
        where.push('hostname = ?');
        params.push(query.hostname);
      }
      if (query.sha256 !== undefined) {
        where.push('sha256 = ?');
        params.push(query.sha256);
      }
      if (query.pathPrefix !== undefined && query.pathPrefix !== '') {
        const upper = prefixUpperBound(query.pathPrefix);
        where.push(upper === undefined ? 'filepath >= ?' : 'filepath >= ? AND filepath < ?');
        params.push(query.pathPrefix, ...(upper === undefined ? [] : [upper]));
      }
      if (page.cursor !== undefined) {
        const [host, path] = decodeCursor(page.cursor, 2) as [string, string];
        where.push('(hostname > ? OR (hostname = ? AND filepath > ?))');
        params.push(host, host, path);
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const rows = this.db
        .prepare(`SELECT * FROM files ${clause} ORDER BY hostname, filepath LIMIT ?`)
        .all(...params, page.limit + 1) as FileRow[];
      const items = rows.slice(0, page.limit).map(fileFromRow);
      const last = items.at(-1);
      return rows.length > page.limit && last
        ? { items, cursor: encodeCursor([last.hostname, last.filepath]) }
        : { items };
    });
  }

  deleteFile(id: string): Promise<FileRecord | null> {
    return this.write('delete file', () => {
      const row = this.sql.deleteFile.get(id) as FileRow | undefined;
      if (row) this.revisions.advance(row.hostname);
      return row ? fileFromRow(row) : null;
    });
  }

  countFilesWithHash(sha256: string): Promise<number> {
    return this.run('count files', () => (this.sql.countByHash.get(sha256) as { n: number }).n);
  }

  // ---- content
  getContent(sha256: string): Promise<ContentRecord | null> {
    return this.run('get content', () => (this.sql.getContent.get(sha256) as ContentRow | undefined) ?? null);
  }

  getContents(sha256s: readonly string[]): Promise<Map<string, ContentRecord>> {
    return this.run('get contents', () => {
      const rows = this.sql.getContents.all(JSON.stringify([...new Set(sha256s)])) as ContentRow[];
      return new Map(rows.map((row) => [row.sha256, row]));
    });
  }

  insertContentIfAbsent(record: ContentRecord): Promise<boolean> {
    return this.write('insert content', () => this.sql.insertContent.run(record).changes === 1);
  }

  updateContentIf(sha256: string, expectedVersion: number, patch: ContentPatch): Promise<ContentRecord | null> {
    return this.write('update content', () => {
      const sets = CONTENT_PATCH_FIELDS.filter((k) => patch[k] !== undefined).map((k) => `${k} = @${k}`);
      const row = this.db
        .prepare(
          `UPDATE content SET ${[...sets, 'version = version + 1'].join(', ')}
           WHERE sha256 = @sha256 AND version = @expectedVersion RETURNING *`,
        )
        .get({ ...patch, sha256, expectedVersion }) as ContentRow | undefined;
      return row ?? null;
    });
  }

  deleteContentIf(sha256: string, expectedVersion: number): Promise<boolean> {
    return this.write('delete content', () => this.sql.deleteContent.run(sha256, expectedVersion).changes === 1);
  }

  listContent(page: PageRequest): Promise<Page<ContentRecord>> {
    return this.run('list content', () => {
      const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, 1)[0]!;
      const rows = this.sql.listContent.all(after, page.limit + 1) as ContentRow[];
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return rows.length > page.limit && last ? { items, cursor: encodeCursor([last.sha256]) } : { items };
    });
  }

  // ---- api keys
  insertApiKey(record: ApiKeyRecord): Promise<void> {
    return this.write('insert api key', () => {
      this.sql.insertKey.run({ ...record, scopes: JSON.stringify(record.scopes), is_active: record.is_active ? 1 : 0 });
    });
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.run('find api key', () => {
      const row = this.sql.keyByHash.get(keyHash) as ApiKeyRow | undefined;
      return row ? apiKeyFromRow(row) : null;
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.run('get api key', () => {
      const row = this.sql.keyById.get(id) as ApiKeyRow | undefined;
      return row ? apiKeyFromRow(row) : null;
    });
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.run('list api keys', () => (this.sql.listKeys.all() as ApiKeyRow[]).map(apiKeyFromRow));
  }

  updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'is_active' | 'last_used_at'>>): Promise<boolean> {
    return this.write('update api key', () => {
      const values: Record<string, unknown> = { id };
      const sets: string[] = [];
      if (patch.is_active !== undefined) {
        sets.push('is_active = @is_active');
        values.is_active = patch.is_active ? 1 : 0;
      }
      if (patch.last_used_at !== undefined) {
        sets.push('last_used_at = @last_used_at');
        values.last_used_at = patch.last_used_at;
      }
      if (!sets.length) return this.sql.keyById.get(id) !== undefined;
      return this.db.prepare(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = @id`).run(values).changes === 1;
    });
  }

  deleteApiKey(id: string): Promise<boolean> {
    return this.write('delete api key', () => this.sql.deleteKey.run(id).changes === 1);
  }

  // ---- counters
  incrementCounter(key: string, expiresAt: Date): Promise<number> {
    return this.write(
      'increment counter',
      () => (this.sql.increment.get(key, expiresAt.getTime()) as { count: number }).count,
    );
  }

  purgeExpiredCounters(now: Date): Promise<number> {
    return this.write('purge counters', () => this.sql.purgeCounters.run(now.getTime()).changes);
  }

  // ---- uploads
  insertUpload(session: UploadSession): Promise<void> {
    return this.write('insert upload', () => {
      this.sql.insertUpload.run({
        ...session,
        parts: JSON.stringify(session.parts),
        metadata: JSON.stringify(session.metadata),
      });
    });
  }

  getUpload(id: string): Promise<UploadSession | null> {
    return this.run('get upload', () => {
      const row = this.sql.getUpload.get(id) as UploadRow | undefined;
      return row ? uploadFromRow(row) : null;
    });
  }

  advanceUpload(
    id: string,
    expectedOffset: number,
    offset: number,
    parts: UploadPart[],
  ): Promise<UploadSession | null> {
    return this.write('advance upload', () => {
      const row = this.sql.advanceUpload.get(offset, JSON.stringify(parts), id, expectedOffset) as
        UploadRow | undefined;
      return row ? uploadFromRow(row) : null;
    });
  }

  deleteUpload(id: string): Promise<boolean> {
    return this.write('delete upload', () => this.sql.deleteUpload.run(id).changes === 1);
  }

  listExpiredUploads(now: Date, limit: number): Promise<UploadSession[]> {
    return this.run('list expired uploads', () =>
      (this.sql.expiredUploads.all(now.toISOString(), limit) as UploadRow[]).map(uploadFromRow),
    );
  }

  // ---- settings
  // ---- leases
  claimLease(name: string, token: string, until: Date, now: Date): Promise<boolean> {
    return this.write('claim lease', () => {
      const row = this.sql.claimLease.get({ name, token, until: until.toISOString(), now: now.toISOString() });
      return row !== undefined;
    });
  }

  releaseLease(name: string, token: string): Promise<void> {
    return this.write('release lease', () => void this.sql.releaseLease.run(name, token));
  }

  getOrInsertSetting(name: string, value: string): Promise<string> {
    return this.write('get or insert setting', () => {
      this.sql.insertSetting.run(name, value);
      return (this.sql.getSetting.get(name) as { value: string }).value;
    });
  }

  setSetting(name: string, value: string): Promise<void> {
    return this.write('set setting', () => void this.sql.setSetting.run(name, value));
  }
}
