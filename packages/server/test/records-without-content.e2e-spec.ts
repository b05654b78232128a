import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { SqliteStore } from '../src/index.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const meta = (filepath: string, data: string) =>
  fileMetadataSchema.parse(fileRecord({ hostname: 'h', filepath, sha256: sha256Of(data), file_size: data.length }));
const content = (data: string) => ({
  sha256: sha256Of(data),
  size: data.length,
  state: 'present' as const,
  version: 1,
  uploaded_at: new Date().toISOString(),
  lease_until: null,
  verified_at: null,
});

describe('GET /catalogue?hostname=: records_without_content', () => {
  let server: TestServer;
  let c: TestClient;
  const catalogue = async (hostname: string) => (await c.call('GET', `/catalogue?hostname=${hostname}`)).json;

  beforeAll(async () => {
    server = await startServer();
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it("counts the host's records whose content is not uploaded yet, down as each content arrives", async () => {
    expect(await catalogue('gaps')).toMatchObject({ records_without_content: 0 });
    const files = ['one', 'two', 'two'].map((data, i) =>
      fileRecord({ hostname: 'gaps', filepath: `/f${i}`, sha256: sha256Of(data), file_size: data.length }),
    );
    expect((await c.call('POST', '/put_files', { files })).status).toBe(200);
    const put = await catalogue('gaps');
    expect(put).toMatchObject({ records_without_content: 3 });
    expect((await c.upload(sha256Of('two'), 'two', 'gaps', '/f1')).status).toBeLessThan(300);
    // The revision moves with records only: an upload leaves it, and the count says what changed.
    expect(await catalogue('gaps')).toEqual({ ...put, records_without_content: 1 });
    expect((await c.upload(sha256Of('one'), 'one', 'gaps', '/f0')).status).toBeLessThan(300);
    expect(await catalogue('gaps')).toMatchObject({ records_without_content: 0 });
    expect(await catalogue('other')).toMatchObject({ records_without_content: 0 });
    // Without a hostname: the epoch alone, as before.
    expect(Object.keys((await c.call('GET', '/catalogue')).json)).toEqual(['catalogue_epoch']);
  });
});

describe('records without content of a SQLite store restored from a backup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-gaps-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('come back with the backup: the revision is the one a client saw, the count is not', async () => {
    const path = join(dir, 'ufs.db');
    let store = new SqliteStore({ path });
    await store.upsertFiles([meta('/a', 'aaa'), meta('/b', 'bbb')], new Date());
    await store.close();
    // The backup: records written, their content not uploaded yet.
    await copyFile(path, join(dir, 'backup.db'));
    store = new SqliteStore({ path });
    const revision = await store.catalogueRevision('h');
    expect(await store.recordsWithoutContent('h')).toBe(2);
    await store.insertContentIfAbsent(content('aaa'));
    await store.insertContentIfAbsent(content('bbb'));
    expect(await store.recordsWithoutContent('h')).toBe(0);
    await store.close();
    await rm(`${path}-wal`, { force: true });
    await rm(`${path}-shm`, { force: true });
    await copyFile(join(dir, 'backup.db'), path);
    store = new SqliteStore({ path });
    expect(await store.catalogueRevision('h')).toBe(revision);
    expect(await store.recordsWithoutContent('h')).toBe(2);
    await store.close();
  });

  it('a database from before the count is counted once, when this version first opens it', async () => {
    const path = join(dir, 'old.db');
    let store = new SqliteStore({ path });
    await store.upsertFiles([meta('/a', 'aaa'), meta('/b', 'bbb'), meta('/c', 'ccc')], new Date());
    await store.insertContentIfAbsent(content('bbb'));
    await store.close();
    // What an older version left: no count, no triggers.
    const db = new Database(path);
    for (const { name } of db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'content_gaps%'")
      .all() as { name: string }[])
      db.exec(`DROP TRIGGER ${name}`);
    db.exec('DROP TABLE content_gaps');
    db.close();
    store = new SqliteStore({ path });
    expect(await store.recordsWithoutContent('h')).toBe(2);
    await store.insertContentIfAbsent(content('ccc'));
    expect(await store.recordsWithoutContent('h')).toBe(1);
    await store.close();
  });
});
