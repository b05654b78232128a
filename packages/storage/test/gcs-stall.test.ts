// The gcs backend against a server whose replies stall mid-body (real sockets on 127.0.0.1): a JSON reply that stops
// coming fails with a retryable TIMEOUT naming the server and `timeoutMs` (not a raw UNEXPECTED after the SDK's
// retries), and its connection is closed, so nothing is left keeping the process alive; a download that stalls after
// its metadata was read fails the same way and lets go of its connection too.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { mapGcsError } from '../src/backends/gcs/errors.js';
import definition from '../src/backends/gcs/index.js';
import { keyContext } from '../src/errors.js';
import { serviceAccount } from './fakes/gcs-fixture.js';
import { readAll, rejectsWith, tempDir } from './helpers.js';
import { settlesWithin } from './net-faults.js';
import { stallServer } from './stall-server.js';

const { credentials } = serviceAccount('ufs-test@ufs-test.iam.gserviceaccount.com');
const stall = await stallServer(() => ({ 'content-type': 'application/json' }));
const opened: StorageBackend[] = [];

/** Answers an object's metadata in full and stalls its download (`alt=media`) after 1000 of 1000000 bytes. */
async function stallingDownloads(): Promise<{ endpoint: string; open(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('alt') === 'media') {
      res.writeHead(200, { 'content-length': '1000000', 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000, 65));
      return;
    }
    const name = decodeURIComponent(url.pathname.split('/o/')[1] ?? '');
    const now = new Date().toISOString();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name, bucket: 'ufs-plain', size: '1000000', generation: '1', updated: now }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function mount(apiEndpoint: string): Promise<StorageBackend> {
  const raw = { bucket: 'ufs-plain', projectId: 'ufs-test', credentials, apiEndpoint, timeoutMs: 1500 };
  const backend = await definition.create(definition.options.parse(raw), { mountName: 'g', env: {} });
  opened.push(backend);
  return backend;
}

/** Waits (a little) for the server to see every connection closed by the client. */
async function allClosed(server: { open(): number }): Promise<number> {
  const until = Date.now() + 2000;
  while (server.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return server.open();
}

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await stall.close();
}, 30_000);

/** A stat in a child process (the sources through tsx); resolves with what it printed once it has exited by itself. */
async function statInChild(apiEndpoint: string): Promise<{ output: string; exitedAfterMs: number }> {
  const dir = await tempDir();
  try {
    const script = join(dir.path, 'stat.mts');
    const source = new URL('../src/backends/gcs/index.ts', import.meta.url).href;
    const raw = {
      bucket: 'ufs-plain',
      projectId: 'ufs-test',
      credentials,
      apiEndpoint,
      timeoutMs: 500,
      connectTimeoutMs: 500,
    };
    await writeFile(
      script,
      `const definition = (await import(${JSON.stringify(source)})).default;
const backend = await definition.create(definition.options.parse(${JSON.stringify(raw)}), { mountName: 'g', env: {} });
try { await backend.stat('a.txt'); } catch (e) { console.log(e.code); }
console.log('done ' + Date.now());`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const done = Number(/done (\d+)/.exec(output)?.[1]);
    return { output, exitedAfterMs: Date.now() - done };
  } finally {
    await dir.cleanup();
  }
}

describe('gcs against a server whose replies stall mid-body', () => {
  it('stat fails with TIMEOUT naming the server and timeoutMs, and closes the connection', async () => {
    const backend = await mount(stall.endpoint);
    const pending = backend.stat('a.txt');
    // The SDK retries a request that got no whole reply (4 tries, with back-off): each fails after timeoutMs.
    expect(await settlesWithin(45_000, pending)).toBeLessThan(45_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toBe(`[ufs] [gcs] stat "g:a.txt": no answer from ${stall.endpoint} for 1500 ms (timeoutMs)`);
    expect(error.retryable).toBe(true);
    expect(error.context.timeout).toBe('timeoutMs');
    expect(await allClosed(stall)).toBe(0);
    expect(stall.requests.length).toBeGreaterThan(0);
  }, 90_000);

  it('a process whose stat failed exits by itself: no connection is left open', async () => {
    const child = statInChild(stall.endpoint);
    expect(await settlesWithin(60_000, child)).toBeLessThan(60_000);
    const { output, exitedAfterMs } = await child;
    expect(output).toMatch(/^TIMEOUT\ndone \d+\n$/);
    expect(exitedAfterMs).toBeLessThan(3000);
  }, 90_000);

  it('a download that stalls fails with TIMEOUT and closes its connection', async () => {
    const server = await stallingDownloads();
    try {
      const backend = await mount(server.endpoint);
      const reading = backend.read('a.txt').then(readAll);
      expect(await settlesWithin(4000, reading)).toBeLessThan(4000);
      const error = await rejectsWith(reading, 'TIMEOUT');
      expect(error.message).toBe(
        `[ufs] [gcs] read "g:a.txt": no answer from ${server.endpoint} for 1500 ms (timeoutMs)`,
      );
      expect(await allClosed(server)).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('gcs: the deadline of the SDK client on a reply body', () => {
  it('a body that does not end within connectTimeoutMs + timeoutMs is a TIMEOUT naming both', () => {
    // node-fetch 2's error when a reply body (a slow trickle) has not ended within the SDK's `timeout`.
    const url = 'http://127.0.0.1:9/storage/v1/b/ufs-plain/o/a.txt?';
    const err = Object.assign(new Error(`Response timeout while trying to fetch ${url} (over 3000ms)`), {
      name: 'FetchError',
      type: 'body-timeout',
    });
    const timeouts = { endpoint: 'http://127.0.0.1:9', connectTimeoutMs: 1000, timeoutMs: 2000 };
    const error = mapGcsError(err, keyContext({ mount: 'g', protocol: 'gcs' }, 'stat', 'a.txt'), 'ufs-plain', timeouts);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe(
      '[ufs] [gcs] stat "g:a.txt": the reply from http://127.0.0.1:9 did not end within 3000 ms (connectTimeoutMs + timeoutMs)',
    );
    expect(error.retryable).toBe(true);
  });
});
