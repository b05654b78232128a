import { hash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { FileMetadataInput } from '@org/core';
import type { Catalogue, DedupClient, RevisionStep } from '../api/dedup-client.js';
import type { HashCache } from './cache.js';
import type { CacheFailures } from './cache-error.js';
import { FolderRows } from './folder-rows.js';

/**
 * DDL of the sent memory, in the scan cache's SQLite file. Keyed by folder, so one query reads a folder's rows.
 * `sent_revisions`: the host's catalogue revision (on servers that keep one) under which its rows hold.
 * `sent_gaps`: how many of the host's records the server held without content when they were written (none: 0).
 */
export const SENT_RECORDS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sent_records (
    server TEXT NOT NULL, hostname TEXT NOT NULL, dir TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL,
    epoch TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (server, hostname, dir, name)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS sent_revisions (
    server TEXT NOT NULL, hostname TEXT NOT NULL, revision TEXT NOT NULL, PRIMARY KEY (server, hostname))
    WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS sent_gaps (
    server TEXT NOT NULL, hostname TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (server, hostname)) WITHOUT ROWID;`;

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
 * On a server that keeps catalogue revisions (one per host, changed by every write of that host's records, by any
 * client, and never coming back to an old value, even after a restore from a backup), the memory also holds for one
 * revision only. Opened under another revision than the one remembered, it forgets that host. Each batch's answer
 * says how it moved the revision (before → after): the memory follows the chain of this scan's own batches from the
 * revision it was opened under (answers may come in any order), and rows are written, with the revision reached,
 * only for batches on that chain. A batch whose `before` is off the chain at the end of the scan (another client
 * wrote that host's records between, or the server cannot tell), or an answer without revisions, makes it forget the
 * host: everything is sent again next time.
 *
 * The revision moves with records, not content: a server restored from a backup taken after records were written and
 * before their content was uploaded has the revision this memory knows, without that content. So the memory also
 * keeps how many of the host's records the server held without content (`records_without_content`, which only
 * uploads make smaller under one revision): opened when the server holds more than that, it forgets the host, and
 * the scan sends every record again (the server then asks for what it lacks). That number is what the server said
 * after this scan's uploads (recount), or 0 when nothing this scan sent was left without content and the server held
 * none when it began; any batch of the host sets it to 0 until then, which is never too few.
 *
 * Reads go by folder (FolderRows), not one query per file: on a rescan of an unchanged tree this memory is asked
 * about every file.
 */
export class SentRecords {
  /** Rows of this server forgotten when it was opened (remembered under another epoch, or revision of the host). */
  readonly forgotten: number;
  /** The memory was forgotten because the server holds more of the host's records without content than it kept. */
  readonly contentLost: { kept: number; now: number } | undefined;
  /** Records of the host without content the server may hold as the memory stands (see the class comment). */
  private gaps = 0;
  /** The server's key (serverKey of the URL it was opened for). */
  readonly server: string;
  private readonly putStmt: Database.Statement<[string, string, string, string, string, string, number]>;
  private readonly prints: FolderRows<string>;
  /** Rows to write: path, fingerprint, and (with revisions) the revision the batch that sent it left. */
  private pending: Array<[string, string, string | undefined]> = [];
  /** With revisions: the revision the rows (written and pending on the chain) hold under. */
  private base: string | undefined;
  /** Revisions this scan's chain of batches reached (from the one opened under). */
  private readonly reached = new Set<string>();
  /** Steps of this scan's batches not on the chain (yet): before → after. */
  private readonly offChain = new Map<string, string>();
  /** Revisions at which a batch of this scan left the host's revision as it was (records sent again unchanged). */
  private readonly stays = new Set<string>();
  /** Paths of this host sent in a batch and not remembered yet → the revision that batch left. */
  private readonly stepOf = new Map<string, string>();
  /** Another write came between this scan's batches (or one answered without revisions): forget at the end. */
  private broken = false;
  /** This scan sent records of the host. */
  private sentAny = false;

  /**
   * Opens the memory (its table, and what it forgets): a failure is thrown, as a CONFIG_INVALID naming the cache file.
   * Later reads and writes are made from callbacks of the scan: their failures are kept in `failures` (the record is
   * then sent again) and thrown by the cache's next lookup or flush. `revision`: the host's catalogue revision now,
   * undefined on a server that keeps none (then only the epoch counts). `withoutContent`: how many of the host's
   * records the server holds without content now (undefined from a server that does not say).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly failures: CacheFailures,
    server: string,
    readonly hostname: string,
    readonly epoch: string,
    private readonly flushEvery = 500,
    readonly revision?: string,
    readonly withoutContent?: number,
  ) {
    this.server = server = serverKey(server);
    this.base = revision;
    if (revision !== undefined) this.reached.add(revision);
    [this.forgotten, this.contentLost, this.prints, this.putStmt] = failures.run('open cache', () => {
      db.exec(SENT_RECORDS_SCHEMA);
      const [forgotten, lost] = db.transaction(() => {
        let n = db.prepare('DELETE FROM sent_records WHERE server = ? AND epoch <> ?').run(server, epoch).changes;
        const kept = db
          .prepare<[string, string], string>('SELECT revision FROM sent_revisions WHERE server = ? AND hostname = ?')
          .pluck()
          .get(server, hostname);
        const gaps =
          db
            .prepare<[string, string], number>('SELECT n FROM sent_gaps WHERE server = ? AND hostname = ?')
            .pluck()
            .get(server, hostname) ?? 0;
        // Remembered under another revision (or before revisions were kept, or on a server without them), or the
        // server holds more records without content than it did (restored from a backup): forgotten.
        const stale = revision !== undefined && kept !== revision;
        const lost = !stale && withoutContent !== undefined && withoutContent > gaps;
        if (stale || lost)
          n += db.prepare('DELETE FROM sent_records WHERE server = ? AND hostname = ?').run(server, hostname).changes;
        // What the server says now, when it is fewer (content arrived since): the rows hold under that as well.
        this.gaps = stale || lost ? 0 : Math.min(gaps, withoutContent ?? gaps);
        this.setRevision(revision);
        return [n, lost ? { kept: gaps, now: withoutContent! } : undefined] as const;
      })();
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
      return [forgotten, lost, prints, putStmt] as const;
    });
  }

  /**
   * The revision the host's rows hold under (none: a server without revisions, or a memory forgotten), with the
   * number of the host's records the server may hold without content (`gaps`).
   */
  private setRevision(revision: string | undefined): void {
    const { db, server, hostname } = this;
    db.prepare('DELETE FROM sent_gaps WHERE server = ? AND hostname = ?').run(server, hostname);
    if (revision === undefined)
      db.prepare('DELETE FROM sent_revisions WHERE server = ? AND hostname = ?').run(server, hostname);
    else {
      db.prepare('INSERT OR REPLACE INTO sent_revisions (server, hostname, revision) VALUES (?, ?, ?)').run(
        server,
        hostname,
        revision,
      );
      if (this.gaps > 0)
        db.prepare('INSERT INTO sent_gaps (server, hostname, n) VALUES (?, ?, ?)').run(server, hostname, this.gaps);
    }
  }

  /** True when the server accepted exactly this record for `path` (and holds its content) under this epoch. */
  has(path: string, print: string): boolean {
    return this.failures.quietly('read cache', false, () => this.prints.get(path) === print);
  }

  /**
   * A batch the server took (DedupClient.onRevisions): how it moved this host's revision. Ignored on a server without
   * revisions; an answer without them there (or with a `before` the server could not tell) forgets the host. A step
   * that stays (before = after: the server found every record as sent) joins the chain at that revision.
   */
  batch(records: readonly { hostname: string; filepath: string }[], revisions?: Record<string, RevisionStep>): void {
    if (this.base === undefined || !records.some((r) => r.hostname === this.hostname)) return;
    // Records of this batch may be left without content (until their upload, or for good): never too few.
    this.gaps = 0;
    this.sentAny = true;
    const step = revisions?.[this.hostname];
    if (!step || step.before === null) {
      this.broken = true;
      return;
    }
    for (const r of records) if (r.hostname === this.hostname) this.stepOf.set(r.filepath, step.after);
    // A batch that changed nothing (its records were there as sent): on the chain once its revision is reached.
    if (step.before === step.after) return void this.stays.add(step.after);
    this.offChain.set(step.before, step.after);
    // Follow the chain as far as it goes now (answers of batches sent together may come in any order).
    for (let next = this.offChain.get(this.base); next !== undefined; next = this.offChain.get(this.base)) {
      this.offChain.delete(this.base);
      this.reached.add(next);
      this.base = next;
    }
  }

  /**
   * Whether the server should be asked again, once the uploads are over, how many of the host's records it holds
   * without content (recount): when this scan sent records of the host, and some of them are left without content or
   * the server held some without content when the scan began (otherwise it holds none now, and 0 is kept).
   */
  needsRecount(): boolean {
    if (this.withoutContent === undefined || !this.sentAny || this.broken) return false;
    return this.withoutContent > 0 || this.stepOf.size > 0;
  }

  /** What the server said after the uploads: kept when it is the revision this memory follows (see the class). */
  recounted(catalogue: Catalogue): void {
    if (catalogue.epoch === this.epoch && catalogue.revision === this.base && catalogue.withoutContent !== undefined)
      this.gaps = catalogue.withoutContent;
  }

  /** Remembers that the server holds this record and its content (written in groups; see flush). */
  remember(path: string, print: string): void {
    if (this.failures.failed || this.broken) return;
    const after = this.stepOf.get(path);
    this.stepOf.delete(path);
    this.pending.push([path, print, after]);
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /**
   * Writes what is remembered (a failure is kept in `failures`): with revisions, only rows of batches on the chain,
   * with the revision reached, in one transaction. `final` (the end of the scan): rows still off the chain are
   * dropped, and when this scan's batches did not make one chain, the host is forgotten.
   */
  flush(final = false): void {
    if (this.base === undefined) return this.write(this.pending.splice(0));
    const offChain = this.offChain.size > 0 || [...this.stays].some((r) => !this.reached.has(r));
    if (this.broken || (final && offChain)) {
      this.pending = [];
      this.failures.quietly('write cache', undefined, () =>
        this.db.transaction(() => {
          this.db.prepare('DELETE FROM sent_records WHERE server = ? AND hostname = ?').run(this.server, this.hostname);
          this.setRevision(undefined);
        })(),
      );
      return;
    }
    const ready = this.pending.filter(([, , after]) => after !== undefined && this.reached.has(after));
    this.pending = final ? [] : this.pending.filter(([, , after]) => after === undefined || !this.reached.has(after));
    if (ready.length === 0 && !final) return;
    this.write(ready, this.base);
  }

  private write(rows: Array<[string, string, unknown]>, revision?: string): void {
    if (rows.length === 0 && revision === undefined) return;
    const now = Date.now();
    const { server, hostname, epoch } = this;
    this.failures.quietly('write cache', undefined, () =>
      this.db.transaction(() => {
        for (const [path, print] of rows)
          this.putStmt.run(server, hostname, dirname(path), basename(path), print, epoch, now);
        if (revision !== undefined) this.setRevision(revision);
      })(),
    );
  }
}

/**
 * Reads the server's catalogue epoch and this host's revision (one request) and opens the memory of what that server
 * was sent for `hostname`, forgetting it when either changed; the client tells it of every batch the server takes.
 * Undefined when the server reports no epoch (a plain PutPlace server): then every record is sent. A server that
 * cannot be reached, or answers something else than a catalogue, fails here, before the walk.
 */
export async function openSentRecords(
  client: DedupClient,
  cache: HashCache,
  o: { hostname: string; onDebug?: (message: string) => void },
): Promise<SentRecords | undefined> {
  const catalogue = await client.catalogue(o.hostname);
  if (catalogue === undefined) {
    o.onDebug?.(`scan: ${client.shown} has no catalogue epoch (GET /catalogue): every record is sent`);
    return undefined;
  }
  const { epoch, revision, withoutContent } = catalogue;
  const sent = cache.sentRecords(client.base, o.hostname, epoch, revision, withoutContent);
  client.onRevisions = (records, revisions) => sent.batch(records, revisions);
  const where = revision === undefined ? `epoch ${epoch}` : `epoch ${epoch}, revision ${revision} of ${o.hostname}`;
  const lost = sent.contentLost;
  o.onDebug?.(
    lost
      ? `scan: ${client.shown} holds ${lost.now} of ${o.hostname}'s records without their content, ${lost.kept} when ` +
          `this cache last wrote them (${where}; restored from a backup?): forgot ${sent.forgotten} records sent ` +
          'before; every record is sent again, and the content the server lacks uploaded'
      : sent.forgotten > 0
        ? `scan: ${client.shown} changed its catalogue (${where}: it removed records or content, another client wrote ` +
          `${o.hostname}'s records, or it was restored from a backup): forgot ${sent.forgotten} records sent before`
        : `scan: ${client.shown} catalogue ${where}`,
  );
  return sent;
}

/**
 * After the scan's uploads, when the memory needs it (SentRecords.needsRecount): asks the server once more how many
 * of the host's records it holds without content, for the memory to keep. A failure is not the scan's (its work is
 * done): the memory then keeps 0, and a next scan finding any sends every record again.
 */
export async function recountSentRecords(
  client: DedupClient,
  sent: SentRecords,
  onDebug?: (message: string) => void,
): Promise<void> {
  if (!sent.needsRecount()) return;
  try {
    const catalogue = await client.catalogue(sent.hostname);
    if (catalogue) sent.recounted(catalogue);
    onDebug?.(
      `scan: ${client.shown} holds ${catalogue?.withoutContent ?? 'an unknown number of'} of ${sent.hostname}'s ` +
        'records without content after the uploads',
    );
  } catch (err) {
    onDebug?.(`scan: ${client.shown}: GET /catalogue after the uploads failed: ${(err as Error).message}`);
  }
}
