import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UfsError } from '@org/core';
import { SentRecords } from './sent-records.js';

export interface FileIdentity {
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

interface Row {
  sha256: string;
}

/**
 * The scan's local memory of hashes: (path, size, mtime, inode, device) → sha256 in an SQLite file (WAL), so an
 * unchanged file is never read again. Lookups are one indexed read each; writes are grouped into transactions.
 * Tus upload URLs are kept here too, so an interrupted large upload resumes on the next run, and what each server
 * was sent (SentRecords), so an unchanged record is not sent again.
 */
export class HashCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string, string, string, string, string], Row>;
  private readonly putStmt: Database.Statement<[string, string, string, string, string, string, number]>;
  private readonly pending: Array<[string, FileIdentity, string]> = [];
  private readonly flushEvery: number;
  private readonly sent: SentRecords[] = [];

  constructor(
    readonly path: string,
    options: { flushEvery?: number } = {},
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS files (
          path TEXT PRIMARY KEY, size TEXT NOT NULL, mtime_ns TEXT NOT NULL, ino TEXT NOT NULL, dev TEXT NOT NULL,
          sha256 TEXT NOT NULL, hashed_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS tus_uploads (
          server TEXT NOT NULL, sha256 TEXT NOT NULL, url TEXT NOT NULL, created_at INTEGER NOT NULL,
          PRIMARY KEY (server, sha256));`);
    } catch (err) {
      throw new UfsError(
        'CONFIG_INVALID',
        `[ufs] scan cache "${path}": ${(err as Error).message} (use --cache PATH or --no-cache)`,
        {
          cause: err,
          context: { operation: 'open cache', path },
        },
      );
    }
    this.getStmt = this.db.prepare(
      'SELECT sha256 FROM files WHERE path = ? AND size = ? AND mtime_ns = ? AND ino = ? AND dev = ?',
    );
    this.putStmt = this.db.prepare(
      'INSERT OR REPLACE INTO files (path, size, mtime_ns, ino, dev, sha256, hashed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.flushEvery = options.flushEvery ?? 500;
  }

  /** The remembered hash when the file looks unchanged (same size, mtime, inode and device). */
  lookup(path: string, id: FileIdentity): string | undefined {
    return this.getStmt.get(path, String(id.size), String(id.mtimeNs), String(id.ino), String(id.dev))?.sha256;
  }

  remember(path: string, id: FileIdentity, sha256: string): void {
    this.pending.push([path, id, sha256]);
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /**
   * The memory of records sent to `server` for `hostname`, under the server's current catalogue `epoch`: opening
   * it forgets what that server was sent under another epoch.
   */
  sentRecords(server: string, hostname: string, epoch: string): SentRecords {
    const sent = new SentRecords(this.db, server, hostname, epoch, this.flushEvery);
    this.sent.push(sent);
    return sent;
  }

  flush(): void {
    for (const sent of this.sent) sent.flush();
    if (this.pending.length === 0) return;
    const rows = this.pending.splice(0);
    const now = Date.now();
    this.db.transaction(() => {
      for (const [path, id, sha256] of rows) {
        this.putStmt.run(path, String(id.size), String(id.mtimeNs), String(id.ino), String(id.dev), sha256, now);
      }
    })();
  }

  tusUrl(server: string, sha256: string): string | undefined {
    const row = this.db.prepare('SELECT url FROM tus_uploads WHERE server = ? AND sha256 = ?').get(server, sha256) as
      { url: string } | undefined;
    return row?.url;
  }

  setTusUrl(server: string, sha256: string, url: string | undefined): void {
    if (url === undefined)
      this.db.prepare('DELETE FROM tus_uploads WHERE server = ? AND sha256 = ?').run(server, sha256);
    else
      this.db
        .prepare('INSERT OR REPLACE INTO tus_uploads (server, sha256, url, created_at) VALUES (?, ?, ?, ?)')
        .run(server, sha256, url, Date.now());
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
