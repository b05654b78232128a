// Liveness and readiness (`GET /health/live`, `GET /health/ready`) over real HTTP: a real store write per probe,
// results cached and shared, the content probe on a local folder and on S3, and a content folder that cannot be
// written. The store made unwritable under a running server is in readiness-store.e2e-spec.ts (a child process).
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { s3FromEnv } from '@org/test-services';
import { defaultReplicaId, openContentMount, PROBE_PREFIX, TEMP_PREFIX } from '../src/index.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { s3ContentMount } from './helpers/s3.js';
import { startServer, type TestServer } from './helpers/server.js';

const get = async (url: string) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
};

/** How many probe writes the store committed: the probe row's counter, read from the database file itself. */
function probeRowCount(dir: string): number {
  const db = new Database(join(dir, 'ufs.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT count FROM probe WHERE id = 1').get() as { count: number } | undefined;
    return row?.count ?? 0;
  } finally {
    db.close();
  }
}

/** A sample of a Prometheus text exposition (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /health/live and /health/ready (embedded store, local content)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A long interval: every request below shares one probe.
    server = await startServer({ readinessCacheMs: 60_000 });
  });
  afterAll(async () => server?.close());

  it('live: 200 without a key and without touching the store', async () => {
    const before = probeRowCount(server.dir); // the first round runs at start
    const live = await get(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.json).toEqual({ status: 'alive' });
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(probeRowCount(server.dir)).toBe(before);
  });

  it('ready: 200 and what was checked; the probes of many concurrent and later requests are one store write', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${server.url}/health/ready`)));
    const later = await get(`${server.url}/health/ready`);
    for (const answer of [...answers, later]) {
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        status: 'ready',
        database: { status: 'ok', type: 'sqlite', probe: 'write' },
        storage: { status: 'ok', type: 'local', probe: 'list' },
        checked_at: answers[0]!.json.checked_at,
      });
    }
    expect(later.headers.get('cache-control')).toBe('no-store');
    expect(later.text).not.toContain(server.dir);
    // One real write, committed to the database file (the probe row), counted once in the metrics too.
    expect(probeRowCount(server.dir)).toBe(1);
    const metrics = await client(server.url, server.key).call('GET', '/metrics');
    expect(sample(metrics.text, 'ufs_store_operation_duration_seconds_count{operation="probeWrite"}')).toBe(1);
    expect(sample(metrics.text, 'ufs_readiness_probes_total{check="database",result="ok"}')).toBe(1);
    expect(sample(metrics.text, 'ufs_readiness_probes_total{check="storage",result="ok"}')).toBe(1);
    expect(sample(metrics.text, 'ufs_ready')).toBe(1);
    expect(sample(metrics.text, 'ufs_readiness_check{check="database"}')).toBe(1);
    expect(sample(metrics.text, 'ufs_readiness_check{check="storage"}')).toBe(1);
    expect(probeRowCount(server.dir)).toBe(1); // the scrape used the cached result
  });

  it('GET /health keeps its PutPlace shape; the OpenAPI document describes both probes', async () => {
    expect((await get(`${server.url}/health`)).json).toEqual({
      status: 'healthy',
      database: { status: 'connected', type: 'sqlite' },
      storage: { status: 'available', type: 'local', mount: 'local' },
    });
    const doc = (await get(`${server.url}/openapi.json`)).json as {
      paths: Record<string, { get?: { responses?: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths['/health/ready']?.get?.responses ?? {})).toEqual(['200', '503']);
    expect(doc.paths['/health/live']?.get).toBeDefined();
    expect(Object.keys(doc.components.schemas.Readiness?.properties ?? {})).toEqual([
      'status',
      'database',
      'storage',
      'checked_at',
    ]);
  });
});

describe('readiness cache interval', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ readinessCacheMs: 400 });
  });
  afterAll(async () => server?.close());

  it('two requests within the interval run one probe; a request after it runs the next', async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 500));
    await pause(); // past the round run at start
    const before = probeRowCount(server.dir);
    expect(before).toBe(1);
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    expect(probeRowCount(server.dir)).toBe(before + 1);
    await pause();
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    expect(probeRowCount(server.dir)).toBe(before + 2);
  });
});

/** Makes a folder unwritable: `chattr +i` as root (whom permissions do not stop), else `chmod 555`. */
async function lockFolder(path: string): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', path]);
    return async () => void execFileSync('chattr', ['-i', path]);
  }
  await chmod(path, 0o555);
  return () => chmod(path, 0o755);
}

describe('content probe on a local folder', () => {
  let server: TestServer;
  const unlock: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    server = await startServer({ readinessCacheMs: 0, readinessContentProbe: true, replicaId: 'replica-a' });
  });
  afterAll(async () => {
    for (const undo of unlock.splice(0).reverse()) await undo();
    await server?.close();
  });

  it('what an upload does, in a new folder at the top each time: nothing is left; gc ignores what a probe left', async () => {
    const root = join(server.dir, 'content');
    for (let i = 0; i < 2; i++) {
      const ready = await get(`${server.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json.storage).toEqual({ status: 'ok', type: 'local', probe: 'write' });
    }
    // The probes' folders and temporary objects are gone (the `_tmp/` folder itself is the uploads').
    expect((await readdir(root)).filter((name) => name !== TEMP_PREFIX)).toEqual([]);
    expect(await readdir(join(root, TEMP_PREFIX))).toEqual([]);
    // An object a probe left (a replica that died between write and delete) is not content: gc leaves it alone.
    await server.backend.write(`${PROBE_PREFIX}-gone-replica-0/probe`, Readable.from([Buffer.from('x')]), { size: 1 });
    const gc = await client(server.url, server.key).call('POST', '/admin/gc', { grace_seconds: 0 });
    expect(gc.json).toMatchObject({ orphansCount: 0, tempObjects: 0, deletedCount: 0 });
    expect(await server.backend.stat(`${PROBE_PREFIX}-gone-replica-0/probe`)).toMatchObject({ size: 1 });
    await server.backend.delete(`${PROBE_PREFIX}-gone-replica-0`, { recursive: true });
  });

  it('a top folder that takes no new folder (its `_tmp/` still writable): 503 naming storage, as uploads get 503', async () => {
    const root = join(server.dir, 'content');
    await mkdir(join(root, TEMP_PREFIX), { recursive: true });
    unlock.push(await lockFolder(root));
    const ready = await get(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({
      status: 'not_ready',
      database: { status: 'ok', type: 'sqlite', probe: 'write' },
      storage: { status: 'failed', type: 'local', probe: 'write', code: 'PERMISSION_DENIED' },
    });
    expect((ready.json.storage as { reason: string }).reason).toMatch(
      /^write failed: (operation not permitted \(EPERM\)|permission denied \(EACCES\))$/,
    );
    expect(ready.text).not.toContain(server.dir);
    // What an upload of new content gets meanwhile: its content folder cannot be made.
    const c = client(server.url, server.key);
    const data = `new content ${Date.now()}\n`;
    const sha = sha256Of(data);
    const put = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'probe', filepath: '/f', sha256: sha, file_size: data.length }),
    );
    expect(put.status).toBe(201);
    expect((await c.upload(sha, data, 'probe', '/f')).status).toBe(503);
    // What /health cannot see: the folder still lists.
    expect((await get(`${server.url}/health`)).json.status).toBe('healthy');
    const metrics = await c.call('GET', '/metrics');
    expect(sample(metrics.text, 'ufs_ready')).toBe(0);
    expect(sample(metrics.text, 'ufs_readiness_check{check="storage"}')).toBe(0);
    expect(sample(metrics.text, 'ufs_readiness_probes_total{check="storage",result="failed"}')).toBeGreaterThan(0);
    for (const undo of unlock.splice(0).reverse()) await undo();
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    expect((await c.upload(sha, data, 'probe', '/f')).status).toBe(200);
    expect((await readdir(root)).filter((name) => name.startsWith(PROBE_PREFIX))).toEqual([]);
  });
});

describe('content probe on S3', () => {
  let server: TestServer;
  let bucket: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const mount = await s3ContentMount();
    bucket = mount.bucket;
    dispose = mount.dispose;
    // A generous deadline: a cold S3 SDK loads on first use.
    server = await startServer({
      content: mount.backend,
      readinessCacheMs: 0,
      readinessTimeoutMs: 20_000,
      readinessContentProbe: true,
    });
  });
  afterAll(async () => {
    await server?.close();
    await dispose?.();
  });

  it('the bucket removed: 503 naming storage; the probe left nothing in the bucket before', async () => {
    const ready = await get(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json.storage).toEqual({ status: 'ok', type: 's3', probe: 'write' });
    const s3 = s3FromEnv()!;
    const admin = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    try {
      // Only an empty bucket can be deleted: the probe's object is gone.
      await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      admin.destroy();
    }
    const gone = await get(`${server.url}/health/ready`);
    expect(gone.status).toBe(503);
    expect(gone.json).toMatchObject({
      status: 'not_ready',
      database: { status: 'ok' },
      storage: { status: 'failed', type: 's3', probe: 'write', code: 'NOT_FOUND', reason: 'write failed: not found' },
    });
    expect(gone.text).not.toContain(bucket);
  });
});

/**
 * A TCP proxy to the S3 test server that can stop answering: `hang()` drops the connections it forwards, and
 * connections made after it are accepted and never answered (a network partition, a stuck endpoint).
 */
async function switchableProxy(target: URL) {
  let hung = false;
  const open = new Set<Socket>();
  const held: Socket[] = [];
  const proxy = createServer((socket) => {
    socket.on('error', () => undefined);
    if (hung) return void held.push(socket);
    const upstream = connect(Number(target.port), target.hostname);
    upstream.on('error', () => socket.destroy());
    for (const s of [socket, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    /** Connections accepted since `hang()` and never answered. */
    held,
    hang() {
      hung = true;
      for (const s of open) s.destroy();
    },
    async close() {
      for (const s of [...open, ...held]) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe('a content mount that stops answering', () => {
  let proxy: Awaited<ReturnType<typeof switchableProxy>>;
  let server: TestServer;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const s3 = s3FromEnv()!;
    const bucket = (await s3ContentMount()).bucket;
    proxy = await switchableProxy(new URL(s3.endpoint));
    const mount = await openContentMount({
      protocol: 's3',
      bucket,
      endpoint: proxy.url,
      region: s3.region,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    dispose = mount.dispose;
    await mount.backend.list('', { pageSize: 1 }); // loads the S3 SDK (cold, it takes longer than the deadline)
    server = await startServer({ content: mount.backend, readinessCacheMs: 0, readinessTimeoutMs: 300 });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await dispose?.();
  });

  it('fails the check after readinessTimeoutMs, and starts no other probe while that one still runs', async () => {
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    proxy.hang();
    const started = Date.now();
    const first = await get(`${server.url}/health/ready`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(first.status).toBe(503);
    expect(first.json).toMatchObject({
      status: 'not_ready',
      database: { status: 'ok' },
      storage: {
        status: 'failed',
        type: 's3',
        probe: 'list',
        code: 'TIMEOUT',
        reason: 'list gave no answer within 300 ms',
      },
    });
    const held = proxy.held.length;
    expect(held).toBeGreaterThan(0);
    const rows = probeRowCount(server.dir);
    for (let i = 0; i < 3; i++) expect((await get(`${server.url}/health/ready`)).status).toBe(503);
    expect(proxy.held.length).toBe(held); // the hanging listing was joined, not started again
    expect(probeRowCount(server.dir)).toBe(rows + 3); // the store was probed each time (no cache)
  });
});

describe('GET /health while the content mount does not answer', () => {
  let proxy: Awaited<ReturnType<typeof switchableProxy>>;
  let server: TestServer;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const s3 = s3FromEnv()!;
    const bucket = (await s3ContentMount()).bucket;
    proxy = await switchableProxy(new URL(s3.endpoint));
    const mount = await openContentMount({
      protocol: 's3',
      bucket,
      endpoint: proxy.url,
      region: s3.region,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    dispose = mount.dispose;
    await mount.backend.list('', { pageSize: 1 }); // loads the S3 SDK
    // Results reused for 1 s: a scrape right after a request reads that request's round, and runs none of its own.
    server = await startServer({ content: mount.backend, readinessCacheMs: 1_000, readinessTimeoutMs: 300 });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await dispose?.();
  });
  const pastCache = () => new Promise((resolve) => setTimeout(resolve, 1_100));
  const counts = async () => {
    const text = (await client(server.url, server.key).call('GET', '/metrics')).text;
    const count = (result: string) =>
      sample(text, `ufs_readiness_probes_total{check="storage",result="${result}"}`) ?? 0;
    return { ok: count('ok'), failed: count('failed') };
  };

  it('/health answers within readinessTimeoutMs (unavailable, PutPlace shape); each timed-out round counts as failed', async () => {
    await pastCache();
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    const before = await counts();
    expect(before.failed).toBe(0);
    expect((await get(`${server.url}/health`)).json.status).toBe('healthy');
    proxy.hang();

    const started = Date.now();
    const health = await get(`${server.url}/health`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({
      status: 'degraded',
      database: { status: 'connected', type: 'sqlite' },
      storage: { status: 'unavailable', type: 's3', mount: 's3' },
    });
    // Later requests join the listing still under way instead of opening one more connection each.
    const held = proxy.held.length;
    for (let i = 0; i < 3; i++) expect((await get(`${server.url}/health`)).json.status).toBe('degraded');
    expect(proxy.held.length).toBe(held);

    for (let round = 1; round <= 2; round++) {
      await pastCache();
      const ready = await get(`${server.url}/health/ready`);
      expect(ready.json.storage).toMatchObject({ status: 'failed', code: 'TIMEOUT' });
      expect(await counts()).toEqual({ ok: before.ok, failed: round }); // once per round, the joined probe too
    }
  });
});

describe('readiness options', () => {
  it.each([
    [{ readinessCacheMs: -1 }, /readinessCacheMs must be a whole number of milliseconds from 0 to 86400000 \(got -1\)/],
    [{ readinessCacheMs: 1.5 }, /readinessCacheMs .*\(got 1\.5\)/],
    [{ readinessTimeoutMs: 0 }, /readinessTimeoutMs must be a whole number of milliseconds from 1 to 86400000/],
    [{ replicaId: 'a/b' }, /replicaId must be 1 to 64 letters, digits, "\.", "_" or "-" \(got "a\/b"\)/],
    [{ replicaId: '' }, /replicaId must be/],
  ])('%j is refused at start-up with CONFIG_INVALID naming it', async (options, message) => {
    await expect(startServer(options)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message });
  });

  it('the default replica id is the host name and process id, a valid key name', () => {
    expect(defaultReplicaId()).toBe(
      `${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 50)}-${process.pid}`,
    );
    expect(defaultReplicaId()).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });
});
