import type Database from 'better-sqlite3';
import type { FileMetadata } from '@org/core';
import { FILE_FIELDS } from '../store/catalogue-revision.js';
import type { FileRecord } from '../store/store.js';
import { fileFromRow, fileParams, type FileRow } from './rows.js';

/** What one put of a record did: the record as stored, and whether it now says something else about its file. */
export interface FilePut {
  record: FileRecord;
  /** A new record, or one of whose FILE_FIELDS changed: the host's catalogue revision must advance. */
  changed: boolean;
}

/**
 * The embedded store's put of one file record, without reading the record it replaces first. One statement
 * (`INSERT … ON CONFLICT DO UPDATE … WHERE` a FILE_FIELDS column differs, `IS NOT` so that NULLs compare) inserts a new
 * record or rewrites one that says something else about its file, and RETURNING gives the record: that is the change
 * that advances the host's revision. A record it leaves alone (no row returned) is read to answer with, and rewritten
 * only when the fields a client does not remember (atime, ip_address) differ: a put of an unchanged record writes
 * nothing (its updated_at stays), one that moves only those fields updates them and updated_at, the revision stays.
 * Runs inside a write of the group commit (one IMMEDIATE transaction), like the revision's advance.
 */
export class SqliteFileUpserts {
  private readonly upsert: Database.Statement;
  private readonly find: Database.Statement;
  private readonly touch: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO files (id, hostname, filepath, ip_address, sha256, file_size, file_mode, file_uid, file_gid,
        file_mtime, file_atime, file_ctime, is_symlink, link_target, created_at, updated_at)
      VALUES (@id, @hostname, @filepath, @ip_address, @sha256, @file_size, @file_mode, @file_uid, @file_gid,
        @file_mtime, @file_atime, @file_ctime, @is_symlink, @link_target, @now, @now)
      ON CONFLICT (hostname, filepath) DO UPDATE SET
        ip_address = excluded.ip_address, sha256 = excluded.sha256, file_size = excluded.file_size,
        file_mode = excluded.file_mode, file_uid = excluded.file_uid, file_gid = excluded.file_gid,
        file_mtime = excluded.file_mtime, file_atime = excluded.file_atime, file_ctime = excluded.file_ctime,
        is_symlink = excluded.is_symlink, link_target = excluded.link_target, updated_at = excluded.updated_at
      WHERE ${FILE_FIELDS.map((k) => `files.${k} IS NOT excluded.${k}`).join(' OR ')}
      RETURNING *`);
    this.find = db.prepare('SELECT * FROM files WHERE hostname = ? AND filepath = ?');
    this.touch = db.prepare(`
      UPDATE files SET ip_address = @ip_address, file_atime = @file_atime, updated_at = @now
      WHERE hostname = @hostname AND filepath = @filepath RETURNING *`);
  }

  /** Puts `meta` (`id`: the new record's, if it is new; `now`: ISO time). Call within a write's transaction. */
  put(meta: FileMetadata, id: string, now: string): FilePut {
    const params = fileParams(meta, id, now);
    const written = this.upsert.get(params) as FileRow | undefined;
    if (written) return { record: fileFromRow(written), changed: true };
    // The record is there (the insert met it) and says the same about its file.
    const kept = this.find.get(meta.hostname, meta.filepath) as FileRow;
    const touched = kept.ip_address !== meta.ip_address || kept.file_atime !== meta.file_atime;
    return { record: fileFromRow(touched ? (this.touch.get(params) as FileRow) : kept), changed: false };
  }
}
