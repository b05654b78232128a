// `shutdownTimeoutMs: 0` during a tus PATCH cut mid-body: the connection is closed at once, but the PATCH's handler
// still gets up to 5 s to record the bytes it stored (on S3 its part is written after the cut, so a 0 ms wait lost
// them and left the recording lease: a restarted server answered HEAD 503, then offset 0, with an orphaned part). A
// handler still recording when even that wait ends is left to itself, its recording lease released, so a restarted
// server answers HEAD at once. Real servers (a server process over radosgw S3 content stopped by SIGTERM, a real
// SQLite file), real HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBootstrapKey, SqliteStore, type MetadataStore } from '../src/index.js';
import { Gate, gated } from './helpers/gate.js';
import { sha256Of } from './helpers/records.js';
import { s3ContentMount } from './helpers/s3.js';
import { startServer, type TestServer } from './helpers/server.js';
import { partialPatch, tusClient } from './helpers/tus.js';

const LENGTH = 4_000_000;
const SENT = 2_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const S3_CHILD = fileURLToPath(new URL('./helpers/s3-serve-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A server process over `dir` and S3 `bucket` (helpers/s3-serve-child.ts), once it listens. */
function startS3Child(dir: string, bucket: string, options: Record<string, unknown>) {
  const child = spawn(process.execPath, ['--import', 'tsx', S3_CHILD, dir, bucket], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', UFS_CHILD_OPTIONS: JSON.stringify(options) },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  return new Promise<{ url: string; process: typeof child; kill: typeof kill }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process did not start in 120 s:\n${stderr}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`server process exited (${code}):\n${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      const match = /listening (\d+)/.exec(d.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${match[1]}`, process: child, kill });
    });
  });
}

describe('shutdown with a 0 timeout during a cut tus PATCH', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  /** Starts a PATCH of the whole upload, sends SENT bytes and waits until the server has them; then silence. */
  async function cutPatch(server: Pick<TestServer, 'url' | 'key'>, data: Buffer): Promise<string> {
    const { location } = await tusClient(server.url, server.key).create(sha256Of(data.toString()), data.length);
    const connection = await partialPatch(server, location!, data.length, data.subarray(0, SENT));
    cleanups.push(async () => connection.close());
    await sleep(1000);
    return location!;
  }

  /** A HEAD on the restarted server, timed. */
  async function timedHead(server: Pick<TestServer, 'url' | 'key'>, location: string) {
    const started = Date.now();
    const answer = await tusClient(server.url, server.key).head(location);
    return { ...answer, ms: Date.now() - started };
  }

  it('S3 content, SIGTERM to a server process: the bytes stored before the cut are recorded; a restarted server answers their offset at once', async () => {
    const mount = await s3ContentMount();
    cleanups.push(() => mount.dispose());
    const dir = await mkdtemp(join(tmpdir(), 'ufs-shutdown-zero-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await startS3Child(dir, mount.bucket, { shutdownTimeoutMs: 0 });
    cleanups.push(() => first.kill());
    const sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    cleanups.push(() => sqlite.close());
    const key = (await createBootstrapKey(sqlite)).apiKey;
    const location = await cutPatch({ url: first.url, key }, Buffer.alloc(LENGTH, 3));

    const exited = new Promise((resolve) => first.process.once('exit', (code, signal) => resolve(signal ?? code)));
    first.process.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');

    const second = await startS3Child(dir, mount.bucket, {});
    cleanups.push(() => second.kill());
    const head = await timedHead({ url: second.url, key }, location);
    expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: SENT });
    expect(head.ms).toBeLessThan(1000);
    const id = location.split('/').pop()!;
    expect((await sqlite.getUpload(id))?.offset).toBe(SENT);
  }, 120_000);

  it('a handler still recording after the 5 s settle: its recording lease is released, HEAD answers at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-shutdown-zero-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    cleanups.push(() => sqlite.close());
    // The cut PATCH's recording (the upload's offset advanced past its bytes) is held until the test ends.
    const advance = new Gate();
    cleanups.push(async () => advance.release());
    const store = gated<MetadataStore>(sqlite, 'advanceUpload', advance, (_id, from, to) => from !== to);
    const first = await startServer({
      dir,
      store: { instance: store },
      shutdownTimeoutMs: 0,
      shutdownSignals: false,
      logLevels: [],
    });
    cleanups.push(() => first.store.close());
    advance.arm();
    const location = await cutPatch(first, Buffer.alloc(LENGTH, 4));

    const closing = Date.now();
    await first.app.close();
    // The handler got its 5 s to settle (0 requests time), then was left to itself.
    expect(Date.now() - closing).toBeGreaterThanOrEqual(4900);

    const second = await startServer({ dir, logLevels: [] });
    cleanups.push(() => second.close());
    // The client of the upload asks, with its key (an upload answers only the key that created it).
    const head = await timedHead({ url: second.url, key: first.key }, location);
    // Its bytes are not recorded (the handler is still held), but no lease makes the HEAD wait or answer 503.
    expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: 0 });
    expect(head.ms).toBeLessThan(1000);
  }, 90_000);
});
