import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@org/test-services';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const run = promisify(execFile);
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSX = ['--import', 'tsx'];

describe('apps/api: the deployable app', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('builds from env, serves the API, /docs and /openapi.json', async () => {
    const { app, close } = await buildApp(loadConfig({ UFS_DATA_DIR: join(dir, 'one'), UFS_LOG_LEVEL: 'error' }));
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = await app.getUrl();
      expect(await (await fetch(`${url}/health`)).json()).toMatchObject({
        status: 'healthy',
        database: { type: 'sqlite' },
      });
      const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: object };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toContain('/put_file');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
      expect(await (await fetch(`${url}/docs`)).text()).toMatch(/swagger-ui/i);
    } finally {
      await close();
    }
  });

  it('GET /health/live and /health/ready; UFS_READY_CONTENT_PROBE probes the content mount with a write', async () => {
    const { app, close } = await buildApp(
      loadConfig({
        UFS_DATA_DIR: join(dir, 'ready'),
        UFS_LOG_LEVEL: 'error',
        UFS_READY_CONTENT_PROBE: 'true',
        UFS_READY_CACHE_MS: '0',
        UFS_REPLICA_ID: 'api-test-1',
      }),
    );
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = await app.getUrl();
      const live = await fetch(`${url}/health/live`);
      expect([live.status, await live.json()]).toEqual([200, { status: 'alive' }]);
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        database: { status: 'ok', type: 'sqlite', probe: 'write' },
        storage: { status: 'ok', type: 'local', probe: 'write' },
      });
      // The probe went through the content folder (its temporary object under `_tmp/` came and went) and left nothing;
      // beside it, the marker naming the store this content belongs to.
      expect(readdirSync(join(dir, 'ready', 'content')).sort()).toEqual(['_tmp', '_ufs-store.json']);
      expect(readdirSync(join(dir, 'ready', 'content', '_tmp'))).toEqual([]);
    } finally {
      await close();
    }
  });

  it('UFS_TUS_CORS_ORIGIN answers CORS preflights of /tus for the listed origins only', async () => {
    const { app, close } = await buildApp(
      loadConfig({
        UFS_DATA_DIR: join(dir, 'cors'),
        UFS_LOG_LEVEL: 'error',
        UFS_TUS_CORS_ORIGIN: 'https://app.example,http://localhost:5173',
      }),
    );
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = await app.getUrl();
      const preflight = (origin: string) =>
        fetch(`${url}/tus`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'PATCH' },
        });
      const allowed = await preflight('http://localhost:5173');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
      expect((await preflight('https://other.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await close();
    }
  });

  it('refuses to start on bad configuration (exit 78), naming every bad variable', async () => {
    const failure = await run(process.execPath, [...TSX, 'src/main.ts'], {
      cwd: APP_DIR,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        UFS_PORT: 'eighty',
        UFS_CONTENT_URL: 'not a url',
        UFS_PUBLIC_METRICS: 'maybe',
      },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 78 });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr).toMatch(/invalid API configuration/);
    expect(stderr).toMatch(/UFS_PORT/);
    expect(stderr).toMatch(/UFS_CONTENT_URL/);
    expect(stderr).toMatch(/UFS_PUBLIC_METRICS: must be true or false/);
    expect(stderr).not.toMatch(/\bat \S+ \(/);
  });

  it('a MongoDB that does not answer: exit 69 with one line naming it, never the password, no stack trace', async () => {
    const port = await freePort();
    const failure = await run(process.execPath, [...TSX, 'src/main.ts'], {
      cwd: APP_DIR,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        UFS_DATA_DIR: join(dir, 'mongo'),
        UFS_MONGODB_URI: `mongodb://bob:s3cret@127.0.0.1:${port}/ufs?serverSelectionTimeoutMS=300`,
      },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 69 });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^\\[ufs\\] cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:${port}/ufs\\?`)),
    ]);
    expect(stderr).not.toContain('s3cret');
  });

  it('a port already in use: exit 70, a line naming it, no stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      const failure = await run(process.execPath, [...TSX, 'src/main.ts'], {
        cwd: APP_DIR,
        env: { ...process.env, NODE_OPTIONS: '', DEBUG: '', UFS_DATA_DIR: join(dir, 'taken'), UFS_PORT: String(port) },
      }).catch((err: { code: number; stderr: string }) => err);
      expect(failure).toMatchObject({ code: 70 });
      const stderr = (failure as { stderr: string }).stderr;
      // Nest logs the failed listen itself; the last line is the API's own, and no line is a stack frame.
      expect(stderr.trim().split('\n').at(-1)).toMatch(/^\[ufs\] start the API: .*EADDRINUSE/);
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  });

  it('bootstrap-key ends with the same statuses: 78 on bad configuration, one line', async () => {
    const failure = await run(process.execPath, [...TSX, 'src/bootstrap-key.ts'], {
      cwd: APP_DIR,
      env: { ...process.env, NODE_OPTIONS: '', UFS_PORT: 'eighty' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 78 });
    expect((failure as { stderr: string }).stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/invalid API configuration: UFS_PORT/),
    ]);
  });

  it('SIGTERM stops it cleanly: exit 0, the embedded store closed (its write-ahead log checkpointed away)', async () => {
    const data = join(dir, 'sigterm');
    const child = spawn(process.execPath, [...TSX, 'src/main.ts'], {
      cwd: APP_DIR,
      env: { ...process.env, NODE_OPTIONS: '', UFS_DATA_DIR: data, UFS_PORT: '0', UFS_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const url = /listening on (\S+)/.exec(first)![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(existsSync(join(data, 'ufs.db-wal'))).toBe(true);
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(existsSync(join(data, 'ufs.db'))).toBe(true);
    expect(existsSync(join(data, 'ufs.db-wal'))).toBe(false);
  });

  it('logs as a container app: Nest lines on stdout (errors on stderr), without ANSI colours when not a terminal', async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_OPTIONS: '',
      UFS_DATA_DIR: join(dir, 'logs'),
      UFS_PORT: '0',
      UFS_LOG_LEVEL: 'info',
    };
    delete env.NO_COLOR; // only stdout and stderr not being terminals keep the colours out
    const child = spawn(process.execPath, [...TSX, 'src/main.ts'], {
      cwd: APP_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    while (!/listening on \S+/.test(stdout)) {
      if (child.exitCode !== null) throw new Error(`the API did not start:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    await exited;
    expect(stdout).toMatch(/^\[Nest\] \d+ {2}- .* {5}LOG \[NestApplication\] Nest application successfully started/m);
    expect(stdout).not.toContain('\u001b[');
    expect(stderr).toBe('');
  });

  it('the README quick start runs as written', async () => {
    const readme = await readFile(join(APP_DIR, 'README.md'), 'utf8');
    const script = await readFile(join(APP_DIR, 'examples/quickstart.sh'), 'utf8');
    expect(readme).toContain(script.trim());
    const port = await freePort();
    const { stdout } = await run('bash', ['examples/quickstart.sh'], {
      cwd: APP_DIR,
      timeout: 60_000,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        UFS_DATA_DIR: join(dir, 'quickstart'),
        UFS_PORT: String(port),
        UFS_LOG_LEVEL: 'error',
        API: `${process.execPath} --import tsx src/main.ts`,
        KEYCMD: `${process.execPath} --import tsx src/bootstrap-key.ts`,
      },
    });
    expect(stdout).toMatch(/"upload_required":true/);
    expect(stdout).toMatch(/"message":"File uploaded successfully"/);
    expect(stdout).toMatch(/hello ufs/);
    expect(stdout).toMatch(/Swagger UI at/);
    // The script starts the app under tsx (compiled on the fly): longer than jest's default on a busy machine, and
    // never longer than the script's own limit above.
  }, 90_000);
});
