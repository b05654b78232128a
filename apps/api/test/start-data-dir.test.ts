// UFS_DATA_DIR is read as `ufs serve --data-dir` reads it (one store file, `ufs.db`; the `metadata.sqlite` of an older
// `ufs serve` used when alone, both refused), memory content beside a lasting store is refused, and a data folder
// that cannot be one fails the start in one line.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SqliteStore, createApiKey } from '@org/server';
import { BOOTSTRAP_KEY, MAIN, runEntry, startApi, type Ended } from './helpers/run-api.js';

/** The one line of a failed start. */
function oneLine(ended: Ended): string {
  const lines = ended.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('UFS_DATA_DIR of the built app', () => {
  let dir: string;
  const env = (extra: Record<string, string>) => ({
    UFS_HOST: '127.0.0.1',
    UFS_PORT: '0',
    UFS_LOG_LEVEL: 'error',
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-data-dir-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a data folder of an older `ufs serve` (metadata.sqlite only): its store is used, no empty ufs.db beside it', async () => {
    const data = join(dir, 'older');
    const old = new SqliteStore({ path: join(data, 'metadata.sqlite') });
    const { apiKey } = await createApiKey(old, { name: 'from ufs serve', scopes: ['read', 'write', 'admin'] });
    await old.close();
    const api = await startApi(env({ UFS_DATA_DIR: data }));
    try {
      const listed = await fetch(`${api.url}/api_keys`, { headers: { 'x-api-key': apiKey } });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { name: string }[]).map((key) => key.name)).toEqual(['from ufs serve']);
    } finally {
      api.child.kill('SIGTERM');
      expect(await api.exited).toEqual({ code: 0, signal: null });
    }
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
    // The bootstrap script writes into the same store.
    const made = await runEntry(BOOTSTRAP_KEY, env({ UFS_DATA_DIR: data }));
    expect(made.code).toBe(0);
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
  });

  it('both store files in one data folder: 78 naming both (main and bootstrap-key), nothing opened', async () => {
    const data = join(dir, 'both');
    for (const name of ['ufs.db', 'metadata.sqlite']) await new SqliteStore({ path: join(data, name) }).close();
    for (const script of [MAIN, BOOTSTRAP_KEY]) {
      const ended = await runEntry(script, env({ UFS_DATA_DIR: data }));
      expect([ended.code, oneLine(ended)]).toEqual([
        78,
        `[ufs] invalid API configuration: UFS_DATA_DIR "${data}" holds two store files, "ufs.db" and "metadata.sqlite" (the name of older versions): keep the one with the records (rename it "ufs.db") and move the other away`,
      ]);
    }
  });

  it('the bootstrap key is described as made by the script (the API has no --bootstrap flag)', async () => {
    const data = join(dir, 'bootstrap');
    const made = await runEntry(BOOTSTRAP_KEY, env({ UFS_DATA_DIR: data }));
    expect(made.code).toBe(0);
    const store = new SqliteStore({ path: join(data, 'ufs.db') });
    try {
      const [key] = await store.listApiKeys();
      expect(key?.description).toBe('created with the bootstrap-key script of the API');
    } finally {
      await store.close();
    }
  });

  it('UFS_CONTENT_URL memory:// with the SQLite store: 78 naming it and why, no store made', async () => {
    const data = join(dir, 'memory');
    const ended = await runEntry(MAIN, env({ UFS_DATA_DIR: data, UFS_CONTENT_URL: 'memory://content' }));
    expect([ended.code, oneLine(ended)]).toEqual([
      78,
      '[ufs] invalid API configuration: UFS_CONTENT_URL "memory://content" is a memory mount, whose content is lost when the server stops, while the metadata store (in a file) keeps its records: after a restart they would name content the server no longer has. Give a folder or an S3 URL',
    ]);
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
  });

  it('/proc/…: 78 in one line at once, not an endless mkdir (main and bootstrap-key)', async () => {
    for (const script of [MAIN, BOOTSTRAP_KEY]) {
      const started = Date.now();
      const ended = await runEntry(script, env({ UFS_DATA_DIR: '/proc/ufs-nope' }), 15_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect([ended.code, oneLine(ended)]).toEqual([
        78,
        '[ufs] invalid API configuration: UFS_DATA_DIR "/proc/ufs-nope" cannot be created here (the file system of the folder above takes no new folder)',
      ]);
    }
  });

  it('a dangling symbolic link, or a folder below one: named as such, 78', async () => {
    const link = join(dir, 'dangling');
    const target = join(dir, 'nowhere');
    await symlink(target, link);
    const at = await runEntry(MAIN, env({ UFS_DATA_DIR: link }));
    expect([at.code, oneLine(at)]).toEqual([
      78,
      `[ufs] invalid API configuration: UFS_DATA_DIR "${link}" is a dangling symbolic link (to "${target}"): create its target or remove the link`,
    ]);
    const below = await runEntry(BOOTSTRAP_KEY, env({ UFS_DATA_DIR: join(link, 'data') }));
    expect([below.code, oneLine(below)]).toEqual([
      78,
      `[ufs] invalid API configuration: UFS_DATA_DIR "${join(link, 'data')}" is below a dangling symbolic link, "${link}" (to "${target}"): create its target or remove the link`,
    ]);
    expect(existsSync(target)).toBe(false);
  });
});
