import type Database from 'better-sqlite3';

type StatementName =
  | 'ping'
  | 'getFile'
  | 'findFile'
  | 'deleteFile'
  | 'countByHash'
  | 'getContent'
  | 'getContents'
  | 'insertContent'
  | 'deleteContent'
  | 'listContent'
  | 'insertKey'
  | 'keyByHash'
  | 'keyById'
  | 'listKeys'
  | 'deleteKey'
  | 'increment'
  | 'purgeCounters'
  | 'insertUpload'
  | 'getUpload'
  | 'advanceUpload'
  | 'deleteUpload'
  | 'expiredUploads'
  | 'claimLease'
  | 'releaseLease'
  | 'insertSetting'
  | 'getSetting'
  | 'setSetting'
  | 'probe';

/** The embedded store's prepared statements (prepared once per connection). */
export function sqliteStatements(db: Database.Database): Record<StatementName, Database.Statement> {
  return {
    ping: db.prepare('SELECT 1 AS ok'),
    getFile: db.prepare('SELECT * FROM files WHERE id = ?'),
    findFile: db.prepare('SELECT * FROM files WHERE hostname = ? AND filepath = ?'),
    deleteFile: db.prepare('DELETE FROM files WHERE id = ? RETURNING *'),
    countByHash: db.prepare('SELECT COUNT(*) AS n FROM files WHERE sha256 = ?'),
    getContent: db.prepare('SELECT * FROM content WHERE sha256 = ?'),
    // One statement for a batch (a JSON array of hashes): a third of the cost of one lookup per hash.
    getContents: db.prepare('SELECT * FROM content WHERE sha256 IN (SELECT value FROM json_each(?))'),
    insertContent: db.prepare(`
      INSERT INTO content (sha256, size, state, version, uploaded_at, lease_until, verified_at)
      VALUES (@sha256, @size, @state, @version, @uploaded_at, @lease_until, @verified_at)
      ON CONFLICT (sha256) DO NOTHING`),
    deleteContent: db.prepare('DELETE FROM content WHERE sha256 = ? AND version = ?'),
    listContent: db.prepare('SELECT * FROM content WHERE sha256 > ? ORDER BY sha256 LIMIT ?'),
    insertKey: db.prepare(`
      INSERT INTO api_keys (id, key_hash, name, description, scopes, created_at, last_used_at, is_active,
        rate_limit_per_minute)
      VALUES (@id, @key_hash, @name, @description, @scopes, @created_at, @last_used_at, @is_active,
        @rate_limit_per_minute)`),
    keyByHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
    keyById: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
    listKeys: db.prepare('SELECT * FROM api_keys ORDER BY created_at, id'),
    deleteKey: db.prepare('DELETE FROM api_keys WHERE id = ?'),
    increment: db.prepare(`
      INSERT INTO counters (key, count, expires_at) VALUES (?, 1, ?)
      ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count`),
    purgeCounters: db.prepare('DELETE FROM counters WHERE expires_at <= ?'),
    insertUpload: db.prepare(`
      INSERT INTO uploads (id, sha256, length, "offset", parts, metadata, created_at, expires_at)
      VALUES (@id, @sha256, @length, @offset, @parts, @metadata, @created_at, @expires_at)`),
    getUpload: db.prepare('SELECT * FROM uploads WHERE id = ?'),
    advanceUpload: db.prepare('UPDATE uploads SET "offset" = ?, parts = ? WHERE id = ? AND "offset" = ? RETURNING *'),
    deleteUpload: db.prepare('DELETE FROM uploads WHERE id = ?'),
    expiredUploads: db.prepare('SELECT * FROM uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?'),
    claimLease: db.prepare(`
      INSERT INTO leases (name, token, until) VALUES (@name, @token, @until)
      ON CONFLICT (name) DO UPDATE SET token = excluded.token, until = excluded.until
      WHERE leases.until < @now OR leases.token = excluded.token RETURNING token`),
    releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND token = ?'),
    insertSetting: db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    getSetting: db.prepare('SELECT value FROM settings WHERE name = ?'),
    setSetting: db.prepare('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)'),
    probe: db.prepare(
      'INSERT INTO probe (id, count, at) VALUES (1, 1, ?) ON CONFLICT (id) DO UPDATE SET count = count + 1, at = excluded.at',
    ),
  };
}

export type SqliteStatements = Record<StatementName, Database.Statement>;
