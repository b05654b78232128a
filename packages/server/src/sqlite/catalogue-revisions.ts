import type Database from 'better-sqlite3';
import { INITIAL_REVISION, revisionOf, revisionTag, type RevisionStep } from '../store/catalogue-revision.js';

/** DDL of the per-host catalogue revisions (see store/catalogue-revision.ts). */
export const REVISIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS catalogue_revisions (
  hostname TEXT PRIMARY KEY,
  n INTEGER NOT NULL,
  tag TEXT NOT NULL
) WITHOUT ROWID;`;

/**
 * The embedded store's catalogue revisions. `advance` runs inside the write that changes the host's records (the same
 * IMMEDIATE transaction of the group commit), so the records and the revision change together or not at all, and
 * `before` is always known. A put that leaves every record saying what it said (FILE_FIELDS) leaves the revision.
 */
export class SqliteRevisions {
  private readonly get: Database.Statement<[string], { n: number; tag: string }>;
  private readonly bumpRow: Database.Statement<[string, string], { n: number; tag: string }>;

  constructor(db: Database.Database) {
    db.exec(REVISIONS_SCHEMA);
    this.get = db.prepare('SELECT n, tag FROM catalogue_revisions WHERE hostname = ?');
    this.bumpRow = db.prepare(`
      INSERT INTO catalogue_revisions (hostname, n, tag) VALUES (?, 1, ?)
      ON CONFLICT (hostname) DO UPDATE SET n = n + 1, tag = excluded.tag RETURNING n, tag`);
  }

  read(hostname: string): string {
    const row = this.get.get(hostname);
    return row ? revisionOf(row.n, row.tag) : INITIAL_REVISION;
  }

  /** One more write of `hostname`'s records: call within that write's transaction. */
  advance(hostname: string): RevisionStep {
    const before = this.read(hostname);
    return { before, after: this.bump(hostname) };
  }

  /** advance without reading the revision it replaces (for a write that reports no step): the revision left. */
  bump(hostname: string): string {
    const row = this.bumpRow.get(hostname, revisionTag())!;
    return revisionOf(row.n, row.tag);
  }

  /**
   * One step for each distinct hostname, in first-seen order: `advance` for those in `changed`, a step that stays
   * (before = after) for the others (their records were written again as they were).
   */
  advanceAll(hostnames: Iterable<string>, changed: ReadonlySet<string>): Map<string, RevisionStep> {
    const steps = new Map<string, RevisionStep>();
    for (const hostname of hostnames) {
      if (steps.has(hostname)) continue;
      const now = changed.has(hostname) ? undefined : this.read(hostname);
      steps.set(hostname, now === undefined ? this.advance(hostname) : { before: now, after: now });
    }
    return steps;
  }
}
