// The embedded store's files made immutable under a running server (`chattr +i`, as root: what an operator did).
// SQLite maps the WAL index (`ufs.db-shm`) and writes to it directly; the kernel answers a write to a mapped page of
// an immutable file with SIGBUS, so the server hung in a put_file and died (exit 135) with nothing logged. It must
// answer 503 instead, log which file, stay up, and work again once the file is writable. The server runs in its own
// process (a SIGBUS there must not take the test runner with it).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createBootstrapKey, SqliteStore } from '../src/index.js';
import { startChild, type ChildServer } from './helpers/child.js';
import { fileRecord, sha256Of } from './helpers/records.js';

const UNAVAILABLE = { detail: 'metadata store unavailable, try again', code: 'UNAVAILABLE', retryable: true };

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

describe('the store files made immutable under a running server', () => {
  let dir: string;
  let key: string;
  let server: ChildServer;
  let log = '';
  const locked: string[] = [];
  let n = 0;

  const lock = (...names: string[]) => {
    for (const name of names) {
      execFileSync('chattr', ['+i', join(dir, name)]);
      locked.push(join(dir, name));
    }
  };
  const unlock = () => {
    for (const file of locked.splice(0)) execFileSync('chattr', ['-i', file]);
  };
  /** A request with a deadline: a server stuck in a fault must fail the test, not hang it. */
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const put = (host: string) => {
    const i = n++;
    return call('POST', '/put_file', fileRecord({ hostname: host, filepath: `/f${i}`, sha256: sha256Of(`f${i}`) }));
  };
  const expectAlive = () => expect([server.process.exitCode, server.process.signalCode]).toEqual([null, null]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-immutable-'));
    await expectChattrWorks(dir);
    server = await startChild(dir);
    server.process.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    key = (await createBootstrapKey(store)).apiKey;
    await store.close();
  });
  afterEach(unlock);
  afterAll(async () => {
    unlock();
    await server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the WAL index (ufs.db-shm)', ['ufs.db-shm']],
    ['all three (database, WAL, WAL index)', ['ufs.db', 'ufs.db-wal', 'ufs.db-shm']],
  ])('%s: put_file and reads answer 503, the file is logged, the server stays up and recovers', async (_, files) => {
    const host = files.length === 1 ? 'shm' : 'all';
    expect((await put(host)).status).toBe(201);
    log = '';
    lock(...files);
    expect(await put(host)).toEqual({ status: 503, json: UNAVAILABLE });
    expect(await call('GET', `/files?hostname=${host}`)).toEqual({ status: 503, json: UNAVAILABLE });
    expect((await call('GET', '/health')).json).toMatchObject({
      status: 'degraded',
      database: { status: 'disconnected' },
    });
    expect(log).toContain(`the store's file "${join(dir, 'ufs.db-shm')}" cannot be written (EPERM`);
    // still up, a second later too (the checkpointer thread leaves the locked files alone)
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expectAlive();
    unlock();
    expect((await put(host)).status).toBe(201);
    expect((await call('GET', `/files?hostname=${host}`)).json.items).toHaveLength(2);
    expectAlive();
  });

  it('the WAL file (ufs.db-wal): a write SQLite cannot make answers 503 naming the file in the log, not 500', async () => {
    expect((await put('wal')).status).toBe(201);
    log = '';
    lock('ufs.db-wal');
    expect(await put('wal')).toEqual({ status: 503, json: UNAVAILABLE });
    // (a read with a key too: the key's rate-limit counter is a write)
    expect(await call('GET', '/files?hostname=wal')).toEqual({ status: 503, json: UNAVAILABLE });
    expect(log).toContain(`the store's file "${join(dir, 'ufs.db-wal')}" cannot be written (EPERM`);
    expect(log).not.toMatch(/UNEXPECTED/);
    unlock();
    expect((await put('wal')).status).toBe(201);
    expect((await call('GET', '/files?hostname=wal')).json.items).toHaveLength(2);
    expectAlive();
  });
});
