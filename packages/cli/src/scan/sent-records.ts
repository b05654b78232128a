import { hash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { FileMetadataInput } from '@org/core';
import type { DedupClient } from '../api/dedup-client.js';
import type { HashCache } from './cache.js';
import type { CacheFailures } from './cache-error.js';
import { FolderRows } from './folder-rows.js';

/** DDL of the sent memory, in the scan cache's SQLite file. Keyed by folder, so one query reads a folder's rows. */
export const SENT_RECORDS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sent_records (
    server TEXT NOT NULL, hostname TEXT NOT NULL, dir TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL,
    epoch TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (server, hostname, dir, name)) WITHOUT ROWID;`;

/**
 * The server a memory is kept for, as one key whatever way its URL was written: scheme and host in lower case, no
 * default port, no user or password (never stored), no trailing `/`, no query or fragment. `http://Nas:80/ufs/` and
 * `http://nas/ufs` are one server, with one memory.
 */
export function serverKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/+$/, '');
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * What a rescan would change in the server's record of a file: content hash, size, mode, owner, mtime, ctime and
 * link target. Not atime (reading a file changes it; the record would never be "unchanged") and not ip_address
 * (it describes the scanning host, not the file), like the hostname and path that key the memory.
 */
export function fingerprint(meta: FileMetadataInput): string {
  const fields = [
    meta.sha256,
    meta.file_size,
    meta.file_mode,
    meta.file_uid,
    meta.file_gid,
    meta.file_mtime,
    meta.file_ctime,
    meta.is_symlink ?? false,
    meta.link_target ?? null,
  ];
  return hash('sha256', JSON.stringify(fields), 'base64url');
}

/**
 * The scan's memory of what one server holds for one host: (path → fingerprint of the record it accepted) under
 * the server's catalogue epoch at that time. A record is remembered only once the server holds it and its content,
 * so an unchanged file found here need not be sent again — as long as the epoch has not changed: the server changes
 * it whenever it may have lost a record or a content, and then this memory of that server is forgotten.
 *
 * Reads go by folder (FolderRows), not one query per file: on a rescan of an unchanged tree this memory is asked
 * about every file.
 */
export class SentRecords {
  /** Rows of this server forgotten when it was opened (remembered under another epoch). */
  readonly forgotten: number;
  /** The server's key (serverKey of the URL it was opened for). */
  readonly server: string;
  private readonly putStmt: Database.Statement<[string, string, string, string, string, string, number]>;
  private readonly prints: FolderRows<string>;
  private readonly pending: Array<[string, string]> = [];

  /**
   * Opens the memory (its table, and what it forgets): a failure is thrown, as a CONFIG_INVALID naming the cache file.
   * Later reads and writes are made from callbacks of the scan: their failures are kept in `failures` (the record is
   * then sent again) and thrown by the cache's next lookup or flush.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly failures: CacheFailures,
    server: string,
    readonly hostname: string,
    readonly epoch: string,
    private readonly flushEvery = 500,
  ) {
    this.server = server = serverKey(server);
    [this.forgotten, this.prints, this.putStmt] = failures.run('open cache', () => {
      db.exec(SENT_RECORDS_SCHEMA);
      const forgotten = db
        .prepare('DELETE FROM sent_records WHERE server = ? AND epoch <> ?')
        .run(server, epoch).changes;
      // The epoch is checked on every read too: another scan with this cache may have remembered rows meanwhile.
      const folderStmt = db
        .prepare<[string, string, string, string], [string, string]>(
          'SELECT name, fingerprint FROM sent_records WHERE server = ? AND hostname = ? AND dir = ? AND epoch = ?',
        )
        .raw();
      const prints = new FolderRows((dir) => folderStmt.all(server, hostname, dir, epoch));
      const putStmt = db.prepare<[string, string, string, string, string, string, number]>(
        `INSERT OR REPLACE INTO sent_records (server, hostname, dir, name, fingerprint, epoch, sent_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      return [forgotten, prints, putStmt] as const;
    });
  }

  /** True when the server accepted exactly this record for `path` (and holds its content) under this epoch. */
  has(path: string, print: string): boolean {
    return this.failures.quietly('read cache', false, () => this.prints.get(path) === print);
  }

  /** Remembers that the server holds this record and its content (written in groups; see flush). */
  remember(path: string, print: string): void {
    if (this.failures.failed) return;
    this.pending.push([path, print]);
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /** Writes what is remembered (a failure is kept in `failures`). */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending.splice(0);
    const now = Date.now();
    const { server, hostname, epoch } = this;
    this.failures.quietly('write cache', undefined, () =>
      this.db.transaction(() => {
        for (const [path, print] of rows)
          this.putStmt.run(server, hostname, dirname(path), basename(path), print, epoch, now);
      })(),
    );
  }
}

/**
 * Reads the server's catalogue epoch (one request) and opens the memory of what that server was sent for
 * `hostname`, forgetting it when the epoch changed. Undefined when the server reports no epoch (a plain PutPlace
 * server): then every record is sent. A server that cannot be reached fails here, before the walk.
 */
export async function openSentRecords(
  client: DedupClient,
  cache: HashCache,
  o: { hostname: string; onDebug?: (message: string) => void },
): Promise<SentRecords | undefined> {
  const epoch = await client.catalogueEpoch();
  if (epoch === undefined) {
    o.onDebug?.(`scan: ${client.base} has no catalogue epoch (GET /catalogue): every record is sent`);
    return undefined;
  }
  const sent = cache.sentRecords(client.base, o.hostname, epoch);
  o.onDebug?.(
    sent.forgotten > 0
      ? `scan: ${client.base} changed its catalogue epoch (it removed records or content): forgot ${sent.forgotten} records sent before`
      : `scan: ${client.base} catalogue epoch ${epoch}`,
  );
  return sent;
}
