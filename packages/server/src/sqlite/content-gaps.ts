import type Database from 'better-sqlite3';
import { EMPTY_SHA256 } from '../files/file-response.js';

/**
 * Whether the record `f` (NEW or OLD in a trigger) lacks its content here, as put_file answers `upload_required`
 * (file-response.ts): not the empty content, and no present content of that hash and of the record's size.
 */
const lacks = (f: string) => `(NOT (${f}.file_size = 0 AND ${f}.sha256 = '${EMPTY_SHA256}') AND NOT EXISTS (
    SELECT 1 FROM content c WHERE c.sha256 = ${f}.sha256 AND c.state = 'present' AND c.size = ${f}.file_size))`;

/** Adds (or takes) the records of the content `c` (NEW or OLD: its hash, of its size) to each host's count, if `when`. */
const byContent = (c: string, sign: '+' | '-', when = '1') => `
    UPDATE content_gaps SET n = n ${sign} (SELECT COUNT(*) FROM files f
      WHERE f.sha256 = ${c}.sha256 AND f.file_size = ${c}.size AND f.hostname = content_gaps.hostname)
    WHERE ${when} AND hostname IN (SELECT hostname FROM files WHERE sha256 = ${c}.sha256 AND file_size = ${c}.size);`;

const addOne = (f: string) => `
    INSERT INTO content_gaps (hostname, n) SELECT ${f}.hostname, 1 WHERE ${lacks(f)}
    ON CONFLICT (hostname) DO UPDATE SET n = n + 1;`;
const removeOne = (f: string) => `
    UPDATE content_gaps SET n = n - 1 WHERE hostname = ${f}.hostname AND ${lacks(f)};`;
/** Content that is not the empty content (whose records never count). */
const notEmpty = (c: string) => `NOT (${c}.size = 0 AND ${c}.sha256 = '${EMPTY_SHA256}')`;

/**
 * Triggers keeping the count of each host's records without content: they run inside the statement that changes a
 * record or a content row, whoever runs it (any process, any write path), so the count and the rows change together.
 * A record that changes neither host, hash nor size (a put of an unchanged file) fires nothing.
 */
const TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS content_gaps_file_insert AFTER INSERT ON files BEGIN ${addOne('NEW')} END;
CREATE TRIGGER IF NOT EXISTS content_gaps_file_delete AFTER DELETE ON files BEGIN ${removeOne('OLD')} END;
CREATE TRIGGER IF NOT EXISTS content_gaps_file_update AFTER UPDATE OF hostname, sha256, file_size ON files
  WHEN OLD.hostname IS NOT NEW.hostname OR OLD.sha256 IS NOT NEW.sha256 OR OLD.file_size IS NOT NEW.file_size
  BEGIN ${removeOne('OLD')} ${addOne('NEW')} END;
CREATE TRIGGER IF NOT EXISTS content_gaps_content_insert AFTER INSERT ON content
  WHEN NEW.state = 'present' AND ${notEmpty('NEW')} BEGIN ${byContent('NEW', '-')} END;
CREATE TRIGGER IF NOT EXISTS content_gaps_content_update AFTER UPDATE OF state, size ON content
  WHEN ((OLD.state = 'present') IS NOT (NEW.state = 'present') OR OLD.size IS NOT NEW.size) AND ${notEmpty('NEW')}
  BEGIN ${byContent('OLD', '+', "OLD.state = 'present'")} ${byContent('NEW', '-', "NEW.state = 'present'")} END;
CREATE TRIGGER IF NOT EXISTS content_gaps_content_delete AFTER DELETE ON content
  WHEN OLD.state = 'present' AND ${notEmpty('OLD')} BEGIN ${byContent('OLD', '+')} END;`;

/**
 * The embedded store's count, per host, of records whose content it does not hold (GET /catalogue's
 * `records_without_content`): kept by triggers in a table of its own, so reading it is one primary-key lookup
 * however many records the host has. A database from before the count is filled once when it is first opened by
 * this version (in one IMMEDIATE transaction, so two processes opening it at once fill it once).
 */
export class SqliteContentGaps {
  private readonly get: Database.Statement<[string], number>;

  constructor(db: Database.Database) {
    db.transaction(() => {
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'content_gaps'").get();
      if (!exists) {
        db.exec('CREATE TABLE content_gaps (hostname TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID');
        db.exec(`INSERT INTO content_gaps (hostname, n)
          SELECT hostname, COUNT(*) FROM files f WHERE ${lacks('f')} GROUP BY hostname`);
      }
      db.exec(TRIGGERS);
    }).immediate();
    this.get = db.prepare<[string], number>('SELECT n FROM content_gaps WHERE hostname = ?').pluck();
  }

  /** How many of `hostname`'s records have no content here. */
  read(hostname: string): number {
    return this.get.get(hostname) ?? 0;
  }
}
