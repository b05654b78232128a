/** DDL of the embedded store. Indexes match the queries in sqlite-store.ts. */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  filepath TEXT NOT NULL,
  ip_address TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  file_mode INTEGER NOT NULL,
  file_uid INTEGER NOT NULL,
  file_gid INTEGER NOT NULL,
  file_mtime REAL NOT NULL,
  file_atime REAL NOT NULL,
  file_ctime REAL NOT NULL,
  is_symlink INTEGER NOT NULL,
  link_target TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS files_host_path ON files (hostname, filepath);
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256);
CREATE INDEX IF NOT EXISTS files_path ON files (filepath, hostname);

CREATE TABLE IF NOT EXISTS content (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  uploaded_at TEXT NOT NULL,
  lease_until TEXT,
  verified_at TEXT
);

CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  is_active INTEGER NOT NULL,
  rate_limit_per_minute INTEGER
);

CREATE TABLE IF NOT EXISTS counters (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS counters_expiry ON counters (expires_at);

CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  length INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  parts TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_expiry ON uploads (expires_at);

CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  until TEXT NOT NULL
);

-- One row, rewritten by each readiness probe (probeWrite): a write that touches nothing the API serves.
CREATE TABLE IF NOT EXISTS probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
