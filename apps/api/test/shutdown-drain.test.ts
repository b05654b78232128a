// SIGTERM drains: no new connections, requests under way finish (within UFS_SHUTDOWN_TIMEOUT_SECONDS), then the
// store closes; a second signal ends the process at once.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { BOOTSTRAP_KEY, runEntry, startApi, type Running } from './helpers/run-api.js';

const SIZE = 2_000_000;
const CHUNK = 100_000;

interface SlowUpload {
  /** Resolves once the first chunk is on its way. */
  started: Promise<void>;
  /** The response's status and body, or the client's error. */
  done: Promise<{ status?: number; body?: string; error?: string }>;
}

/** PUT /files/{sha}/content of `data`, a chunk every `everyMs` (2 MB in about a second and a half at 75 ms). */
function slowUpload(url: string, key: string, data: Buffer, everyMs = 75): SlowUpload {
  const sha = createHash('sha256').update(data).digest('hex');
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
    const req = request(
      `${url}/files/${sha}/content`,
      {
        method: 'PUT',
        headers: { 'x-api-key': key, 'content-type': 'application/octet-stream', 'content-length': data.length },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', (err) => resolve({ error: err.message }));
    let offset = 0;
    const send = () => {
      if (req.destroyed) return;
      req.write(data.subarray(offset, offset + CHUNK));
      offset += CHUNK;
      started();
      if (offset >= data.length) req.end();
      else setTimeout(send, everyMs);
    };
    send();
  });
  return { started: startedPromise, done };
}

/** Catalogues `data` (its content is then wanted). */
async function record(url: string, key: string, data: Buffer): Promise<string> {
  const sha = createHash('sha256').update(data).digest('hex');
  const res = await fetch(`${url}/put_file`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({
      filepath: '/big.bin',
      hostname: 'drain',
      ip_address: '10.0.0.1',
      sha256: sha,
      file_size: data.length,
      file_mode: 33188,
      file_uid: 0,
      file_gid: 0,
      file_mtime: 1_700_000_000,
      file_atime: 1_700_000_000,
      file_ctime: 1_700_000_000,
    }),
  });
  expect(res.status).toBe(201);
  return sha;
}

/** A new connection's fate: 'refused' once the server no longer listens. */
async function connect(url: string): Promise<string> {
  try {
    return String((await fetch(`${url}/health/live`)).status);
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? 'refused' : String(err);
  }
}

describe('SIGTERM drains the built app', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-drain-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function start(name: string, extra: Record<string, string> = {}): Promise<{ api: Running; key: string }> {
    const env = {
      UFS_HOST: '127.0.0.1',
      UFS_PORT: '0',
      UFS_DATA_DIR: join(dir, name),
      UFS_LOG_LEVEL: 'warn',
      ...extra,
    };
    const created = await runEntry(BOOTSTRAP_KEY, env);
    expect(created.code).toBe(0);
    return { api: await startApi(env), key: created.stdout.trim() };
  }

  it('an upload under way when SIGTERM comes completes (200, stored); new connections are refused; exit 0', async () => {
    const { api, key } = await start('drain');
    const data = randomBytes(SIZE);
    const sha = await record(api.url, key, data);
    const upload = slowUpload(api.url, key, data);
    await upload.started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    api.child.kill('SIGTERM');
    // The listening socket closes at once: a new connection is refused while the upload goes on.
    let fate = await connect(api.url);
    for (let i = 0; fate !== 'refused' && i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      fate = await connect(api.url);
    }
    expect(fate).toBe('refused');
    const answer = await upload.done;
    expect(answer).toMatchObject({ status: 200 });
    expect(JSON.parse(answer.body!)).toMatchObject({ sha256: sha, outcome: 'stored' });
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(api.stderr()).toBe('');
    expect((await readFile(join(dir, 'drain', 'content', contentKey(sha)))).equals(data)).toBe(true);
  }, 30_000);

  it('UFS_SHUTDOWN_TIMEOUT_SECONDS bounds the drain; a second SIGTERM ends it at once', async () => {
    const bounded = await start('bounded', { UFS_SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const data = randomBytes(SIZE);
    await record(bounded.api.url, bounded.key, data);
    // About 6 s of upload: the drain gives it 1.
    const slow = slowUpload(bounded.api.url, bounded.key, data, 300);
    await slow.started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    bounded.api.child.kill('SIGTERM');
    expect(await slow.done).toMatchObject({ error: expect.any(String) });
    expect(await bounded.api.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(4000);
    expect(bounded.api.stdout()).toMatch(
      /requests still under way after 500 ms: closing their connections \(the last 500 ms of the 1000 ms shutdown timeout/,
    );

    const twice = await start('twice');
    await record(twice.api.url, twice.key, data);
    const slower = slowUpload(twice.api.url, twice.key, data, 300);
    await slower.started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    twice.api.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    twice.api.child.kill('SIGTERM');
    expect(await twice.api.exited).toEqual({ code: 143, signal: null });
    expect(twice.api.stderr()).toContain(
      '[ufs] SIGTERM again: stopping at once, without waiting for requests under way',
    );
    expect(await slower.done).toMatchObject({ error: expect.any(String) });
  }, 30_000);
});
