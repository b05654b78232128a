// Readiness when the embedded store cannot take a write, under a running server: its files made immutable
// (`chattr +i`, which stops root too; what an operator did, see store-immutable.e2e-spec.ts). `GET /health` only reads
// (an immutable WAL file does not show there); `GET /health/ready` writes, so it answers 503 naming the database, with
// a code and a short reason but no path. The server runs in its own process: a SIGBUS there (a write through the
// mapping of an immutable WAL index) must not take the test runner with it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createBootstrapKey, SqliteStore } from '../src/index.js';
import { startChild, type ChildServer } from './helpers/child.js';
import { fileRecord, sha256Of } from './helpers/records.js';

/** Fails loudly (never skips) when this file system cannot make a file immutable: the test would prove nothing. */
async function expectChattrWorks(dir: string): Promise<void> {
  const probe = join(dir, 'chattr-probe');
  await writeFile(probe, 'x');
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'pipe' });
    execFileSync('chattr', ['-i', probe], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `chattr +i does not work in ${dir} (needs root and a file system with the immutable flag, e.g. ext4): ${String(err)}`,
    );
  }
  await rm(probe);
}

describe('readiness when the embedded store cannot write', () => {
  let dir: string;
  let server: ChildServer;
  let log = '';
  const locked: string[] = [];

  const lock = (name: string) => {
    execFileSync('chattr', ['+i', join(dir, name)]);
    locked.push(join(dir, name));
  };
  const unlock = () => {
    for (const file of locked.splice(0)) execFileSync('chattr', ['-i', file]);
  };
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
  };
  const expectAlive = () => expect([server.process.exitCode, server.process.signalCode]).toEqual([null, null]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-ready-store-'));
    await expectChattrWorks(dir);
    server = await startChild(dir, { readinessCacheMs: 0, logLevels: ['error', 'warn', 'log'] });
    server.process.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  });
  afterEach(unlock);
  afterAll(async () => {
    unlock();
    await server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the WAL file (ufs.db-wal): /health stays healthy, /health/ready answers 503 naming the database', async () => {
    expect((await get('/health/ready')).status).toBe(200);
    log = '';
    lock('ufs.db-wal');
    expect((await get('/health')).json).toMatchObject({ status: 'healthy', database: { status: 'connected' } });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({
      status: 'not_ready',
      database: {
        status: 'failed',
        type: 'sqlite',
        probe: 'write',
        code: 'UNAVAILABLE',
        reason: 'write failed: operation not permitted (EPERM)',
      },
      storage: { status: 'ok', type: 'local' },
    });
    expect(ready.text).not.toContain(dir);
    // The log says which file (once per change of state, not per request).
    expect((await get('/health/ready')).status).toBe(503);
    expect(log).toContain(`the store's file "${join(dir, 'ufs.db-wal')}" cannot be written (EPERM`);
    expect(log.match(/readiness: database not ready/g)).toHaveLength(1);
    unlock();
    expect((await get('/health/ready')).status).toBe(200);
    expect(log).toContain('readiness: database ok again');
    expectAlive();
  });

  it('the WAL index (ufs.db-shm): 503 naming the database, no SIGBUS, the server stays up and recovers', async () => {
    expect((await get('/health/ready')).status).toBe(200);
    lock('ufs.db-shm');
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({
      status: 'not_ready',
      database: { status: 'failed', code: 'UNAVAILABLE', reason: 'write failed: operation not permitted (EPERM)' },
    });
    expect(ready.text).not.toContain(dir);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expectAlive();
    unlock();
    expect((await get('/health/ready')).status).toBe(200);
    expectAlive();
  });
});

/** A 16 MiB tmpfs at a new folder; fails loudly (never skips) where this process may not mount one. */
async function smallDisk(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-ready-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): ${String(err)}`);
  }
  return dir;
}

describe('readiness on a full disk (store and content folder on it)', () => {
  let dir: string;
  let server: ChildServer;
  let key: string;
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = await smallDisk();
    server = await startChild(dir, { readinessCacheMs: 0, readinessContentProbe: true });
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    key = (await createBootstrapKey(store)).apiKey;
    await store.close();
  });
  afterAll(async () => {
    await server?.kill();
    if (dir) {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('/health stays healthy; /health/ready answers 503 (the content probe: ENOSPC); store writes answer 503, not 500', async () => {
    expect((await get('/health/ready')).status).toBe(200);
    await expect(writeFile(join(dir, 'filler'), Buffer.alloc(32 * 1024 * 1024))).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect((await get('/health')).json).toMatchObject({ status: 'healthy', database: { status: 'connected' } });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({
      status: 'not_ready',
      storage: {
        status: 'failed',
        type: 'local',
        probe: 'write',
        code: 'UNAVAILABLE',
        reason: 'write failed: no space left on device (ENOSPC)',
      },
    });
    // The store's small probe fails once SQLite needs space (its WAL file may still have room for a row or two).
    const database = ready.json.database as Record<string, unknown>;
    if (database.status === 'failed') {
      expect(database).toMatchObject({
        code: 'UNAVAILABLE',
        reason: 'write failed: database or disk is full (SQLITE_FULL)',
      });
    }
    // Batches of records outgrow what room the WAL file has: 503 UNAVAILABLE, never a 500.
    const statuses: number[] = [];
    for (let b = 0; b < 20 && !statuses.includes(503); b++) {
      const files = Array.from({ length: 1000 }, (_, i) =>
        fileRecord({ hostname: 'full', filepath: `/b${b}/${'x'.repeat(200)}/${i}`, sha256: sha256Of(`${b}-${i}`) }),
      );
      const res = await fetch(`${server.url}/put_files`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ files }),
        signal: AbortSignal.timeout(15_000),
      });
      statuses.push(res.status);
      if (res.status === 503) {
        // A full disk is said as it is, and not "try again": it is not retryable at once.
        expect(await res.json()).toEqual({
          detail: "the server's metadata storage is full",
          code: 'UNAVAILABLE',
          retryable: false,
        });
      } else await res.text();
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([503]);
    await rm(join(dir, 'filler'));
    expect((await get('/health/ready')).json).toMatchObject({ status: 'ready' });
    expect([server.process.exitCode, server.process.signalCode]).toEqual([null, null]);
  });
});
