import { closeSync, mkdirSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { nativeModuleNotBuilt } from '@org/core';
import { CacheFailures, cacheError } from './cache-error.js';
import { FolderRows } from './folder-rows.js';
import { SentRecords, serverKey } from './sent-records.js';

export interface FileIdentity {
  size: bigint;
  mtimeNs: bigint;
  /**
   * The inode change time: any write, and any change of the times (`touch -r` putting an old mtime back), sets it
   * to now, and no program can set it back. A file whose size and mtime were restored after a change still differs
   * here (git and restic compare it too).
   */
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * A remembered file: [size, mtime_ns, ino, dev, sha256, ctime_ns] (numbers as decimal text), and hashed_at (when the
 * row was written, ms since the epoch). An empty ctime_ns is a row written before the ctime was kept.
 */
type Row = [string, string, string, string, string, string, number];

/**
 * The scan's local memory of hashes: (path, size, mtime, ctime, inode, device) → sha256 in an SQLite file (WAL), so
 * an unchanged file is never read again. Reads go by folder (FolderRows); writes are grouped into transactions.
 * Tus upload URLs are kept here too, so an interrupted large upload resumes on the next run, and what each server
 * was sent (SentRecords), so an unchanged record is not sent again.
 */
export class HashCache {
  private readonly db: Database.Database;
  private readonly putStmt: Database.Statement<
    [string, string, string, string, string, string, string, number, string]
  >;
  private readonly rows: FolderRows<Row>;
  private readonly pending: Array<[string, FileIdentity, string]> = [];
  private readonly flushEvery: number;
  private readonly sent: SentRecords[] = [];
  /**
   * Failures of the file once open (a damaged page, a full disk): each is a CONFIG_INVALID naming the file and the
   * way out (--cache PATH or --no-cache), as a failure to open it is; see CacheFailures for when it is thrown.
   */
  private readonly failures: CacheFailures;

  constructor(
    readonly path: string,
    options: { flushEvery?: number } = {},
  ) {
    this.failures = new CacheFailures(path);
    try {
      // Created private (they hold every scanned path): the folder 0700, the file 0600 (SQLite gives its -wal and
      // -shm files the database's mode). An existing folder or file keeps its mode.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      createPrivate(path);
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS file_hashes (
          dir TEXT NOT NULL, name TEXT NOT NULL, size TEXT NOT NULL, mtime_ns TEXT NOT NULL, ino TEXT NOT NULL,
          dev TEXT NOT NULL, sha256 TEXT NOT NULL, hashed_at INTEGER NOT NULL, ctime_ns TEXT NOT NULL DEFAULT '',
          PRIMARY KEY (dir, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tus_uploads (
          server TEXT NOT NULL, sha256 TEXT NOT NULL, url TEXT NOT NULL, created_at INTEGER NOT NULL,
          PRIMARY KEY (server, sha256));`);
      addCtime(this.db);
      migrateByPath(this.db);
      const folderStmt = this.db
        .prepare<[string], [string, ...Row]>(
          'SELECT name, size, mtime_ns, ino, dev, sha256, ctime_ns, hashed_at FROM file_hashes WHERE dir = ?',
        )
        .raw();
      this.rows = new FolderRows((dir) => folderStmt.all(dir).map(([name, ...row]) => [name, row] as const));
      this.putStmt = this.db.prepare(
        `INSERT OR REPLACE INTO file_hashes (dir, name, size, mtime_ns, ino, dev, sha256, hashed_at, ctime_ns)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
    } catch (err) {
      throw nativeModuleNotBuilt(err, { operation: 'open cache' }) ?? cacheError(path, err);
    }
    this.flushEvery = options.flushEvery ?? 500;
  }

  /**
   * The remembered hash when the file looks unchanged (same size, mtime, ctime, inode and device). Asked by the walk:
   * a failure of the cache (this read's, or one kept since) is thrown here.
   */
  lookup(path: string, id: FileIdentity): string | undefined {
    const row = this.failures.run('read cache', () => this.rows.get(path));
    if (
      !row ||
      row[0] !== String(id.size) ||
      row[1] !== String(id.mtimeNs) ||
      row[2] !== String(id.ino) ||
      row[3] !== String(id.dev) ||
      !SHA256.test(row[4])
    )
      return undefined; // changed, or a damaged row (hashed again, and the row replaced)
    const ctime = row[5];
    if (ctime === String(id.ctimeNs)) return row[4];
    // A row from before the ctime was kept is trusted as it was then, once, when the file's inode has not changed
    // since the row was written: its ctime is written now, so the next change is seen (upgrading does not make a scan
    // read every file again). A ctime after the row's hashed_at is a change the row never saw (a rewrite in place
    // with the size and mtime put back): hashed again.
    const hashedAt = Number(row[6]);
    if (ctime === '' && Number.isSafeInteger(hashedAt) && id.ctimeNs <= BigInt(hashedAt) * 1_000_000n) {
      this.remember(path, id, row[4]);
      return row[4];
    }
    return undefined;
  }

  /** Remembers a hash (written in groups; a failure to write is kept, and thrown by the next lookup or flush). */
  remember(path: string, id: FileIdentity, sha256: string): void {
    if (this.failures.failed) return;
    this.pending.push([path, id, sha256]);
    if (this.pending.length >= this.flushEvery) this.write();
  }

  /**
   * The memory of records sent to `server` for `hostname`, under the server's current catalogue `epoch` (and the
   * host's catalogue `revision`, when the server keeps one): opening it forgets what that server was sent under
   * another epoch (or revision), or when the server holds more of the host's records without content than it
   * remembers (`withoutContent`, see SentRecords).
   */
  sentRecords(
    server: string,
    hostname: string,
    epoch: string,
    revision?: string,
    withoutContent?: number,
  ): SentRecords {
    const { db, failures, flushEvery } = this;
    const sent = new SentRecords(db, failures, server, hostname, epoch, flushEvery, revision, withoutContent);
    this.sent.push(sent);
    return sent;
  }

  /** Writes what is remembered (at the end of a scan); a failure of the cache (this write's, or one kept since) is thrown. */
  flush(): void {
    this.write(true);
    this.failures.throwPending();
  }

  /** `final`: the scan is over (see SentRecords.flush). */
  private write(final = false): void {
    for (const sent of this.sent) sent.flush(final);
    if (this.pending.length === 0) return;
    const rows = this.pending.splice(0);
    const now = Date.now();
    this.failures.quietly('write cache', undefined, () =>
      this.db.transaction(() => {
        for (const [path, id, sha256] of rows) {
          const size = String(id.size);
          const [mtime, ctime] = [String(id.mtimeNs), String(id.ctimeNs)];
          const [ino, dev] = [String(id.ino), String(id.dev)];
          this.putStmt.run(dirname(path), basename(path), size, mtime, ino, dev, sha256, now, ctime);
          this.rows.update(path, [size, mtime, ino, dev, sha256, ctime, now]);
        }
      })(),
    );
  }

  /** The upload URL of an interrupted tus upload (none when the cache fails: the upload starts over). */
  tusUrl(server: string, sha256: string): string | undefined {
    return this.failures.quietly('read cache', undefined, () => {
      const row = this.db
        .prepare('SELECT url FROM tus_uploads WHERE server = ? AND sha256 = ?')
        .get(serverKey(server), sha256) as { url: string } | undefined;
      return row?.url;
    });
  }

  setTusUrl(server: string, sha256: string, url: string | undefined): void {
    server = serverKey(server);
    this.failures.quietly('write cache', undefined, () => {
      if (url === undefined)
        this.db.prepare('DELETE FROM tus_uploads WHERE server = ? AND sha256 = ?').run(server, sha256);
      else
        this.db
          .prepare('INSERT OR REPLACE INTO tus_uploads (server, sha256, url, created_at) VALUES (?, ?, ?, ?)')
          .run(server, sha256, url, Date.now());
    });
  }

  /** Writes what is remembered and closes the file; a failure not thrown yet is thrown. */
  close(): void {
    this.write(true);
    try {
      this.db.close();
    } catch (err) {
      this.failures.keep('close cache', err);
    }
    this.failures.throwPending();
  }
}

/** Caches written before the ctime was kept get the column, empty: their rows are trusted once (see lookup). */
function addCtime(db: Database.Database): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('file_hashes');
  if (columns.includes('ctime_ns')) return;
  try {
    db.exec(`ALTER TABLE file_hashes ADD COLUMN ctime_ns TEXT NOT NULL DEFAULT ''`);
  } catch (err) {
    // another scan on this cache added it meanwhile
    if (!/duplicate column/i.test((err as Error).message)) throw err;
  }
}

/**
 * Caches written before hashes were kept by folder had one `files` table keyed by path: their rows move to
 * `file_hashes` once, so upgrading ufs does not make the next scan read every file again.
 */
function migrateByPath(db: Database.Database): void {
  const hasOld = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'files'").get();
  if (!hasOld()) return;
  db.function('ufs_dirname', { deterministic: true }, (path) => dirname(String(path)));
  db.function('ufs_basename', { deterministic: true }, (path) => basename(String(path)));
  db.transaction(() => {
    if (!hasOld()) return; // another scan on this cache migrated it meanwhile
    db.exec(`INSERT OR IGNORE INTO file_hashes (dir, name, size, mtime_ns, ino, dev, sha256, hashed_at)
      SELECT ufs_dirname(path), ufs_basename(path), size, mtime_ns, ino, dev, sha256, hashed_at FROM files;
      DROP TABLE files;`);
  }).immediate();
}

/** Creates `path` empty with mode 0600 (SQLite opens an empty file as a new database); an existing file is left as it is. */
function createPrivate(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  closeSync(fd);
}
