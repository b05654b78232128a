import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey, createBootstrapKey, SqliteStore } from '../src/index.js';
import { startChild, type ChildServer } from './helpers/child.js';
import { sha256Of } from './helpers/records.js';
import { tusClient } from './helpers/tus.js';

const TRIES = 20;
const BODY = Buffer.alloc(5_000_000, 7);
const SHA = sha256Of('not uploaded');

/** Counts of each outcome ("403", "EPIPE", …) of `tries` runs of `attempt`. */
async function outcomes(tries: number, attempt: () => Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < tries; i++) {
    const outcome = await attempt().catch(
      (err: Error & { code?: string; cause?: { code?: string } }) => err.cause?.code ?? err.code ?? err.message,
    );
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/** A raw socket that writes the whole request (head and body) before it reads anything: what it read, and how it ended. */
function writeAllThenRead(url: string, head: string, body: Buffer): Promise<{ text: string; error?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.pause();
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: Error & { code?: string }) => (error ??= err.code ?? err.message));
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), ...(error ? { error } : {}) }));
    socket.write(head);
    socket.write(body, () => socket.resume());
  });
}

describe('a refused upload gets its answer, not a broken connection (lingering close)', () => {
  // The server runs in its own process, as in production: in this one, the client's writes and the server's reads
  // would take turns on one event loop, and the race the clients lose would rarely show.
  let dir: string;
  let child: ChildServer;
  let server: { url: string; key: string };
  let readOnly: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-linger-'));
    child = await startChild(dir, { maxUploadBytes: 64 * 1024 * 1024 });
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    server = { url: child.url, key: (await createBootstrapKey(store)).apiKey };
    readOnly = (await createApiKey(store, { name: 'ro', scopes: ['read'] })).apiKey;
    await store.close();
  });
  afterAll(async () => {
    await child?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Node fetch (undici) reads the 403 of a 5 MB PUT, every time', async () => {
    const counts = await outcomes(TRIES, async () => {
      const res = await fetch(`${server.url}/files/${SHA}/content`, {
        method: 'PUT',
        headers: { 'x-api-key': readOnly, 'content-type': 'application/octet-stream' },
        body: BODY,
      });
      const body = (await res.json()) as { code: string };
      return `${res.status} ${body.code}`;
    });
    expect(counts).toEqual({ '403 PERMISSION_DENIED': TRIES });
  });

  it('Node fetch reads the 404 of a 1 MB multipart upload_file with no record, every time', async () => {
    const multipart = Buffer.concat([
      Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n', 'latin1'),
      Buffer.alloc(1024 * 1024, 1),
      Buffer.from('\r\n--x--\r\n', 'latin1'),
    ]);
    const q = new URLSearchParams({ hostname: 'h', filepath: '/no/record' });
    const counts = await outcomes(TRIES, async () => {
      const res = await fetch(`${server.url}/upload_file/${sha256Of('abc')}?${q}`, {
        method: 'POST',
        headers: { 'x-api-key': server.key, 'content-type': 'multipart/form-data; boundary=x' },
        body: multipart,
      });
      await res.text();
      return String(res.status);
    });
    expect(counts).toEqual({ '404': TRIES });
  });

  it('Node fetch reads the 409 of a 5 MB tus PATCH at a wrong offset, every time', async () => {
    const { location } = await tusClient(server.url, server.key).create(sha256Of(BODY), BODY.length);
    const counts = await outcomes(TRIES, async () => {
      const res = await fetch(`${server.url}${location}`, {
        method: 'PATCH',
        headers: {
          'x-api-key': server.key,
          'tus-resumable': '1.0.0',
          'content-type': 'application/offset+octet-stream',
          'upload-offset': '7',
        },
        body: BODY.subarray(7),
      });
      await res.text();
      return String(res.status);
    });
    expect(counts).toEqual({ '409': TRIES });
  });

  it('node:http reads the 401 (bad key) of a 5 MB PUT, every time', async () => {
    const counts = await outcomes(TRIES, () => {
      return new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${server.url}/files/${SHA}/content`, {
          method: 'PUT',
          headers: { 'x-api-key': 'wrong', 'content-type': 'application/octet-stream', 'content-length': BODY.length },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        });
        req.on('error', reject);
        req.end(BODY);
      });
    });
    expect(counts).toEqual({ '401': TRIES });
  });

  it('a raw client that writes the whole 5 MB body before reading still reads the 403', async () => {
    const head =
      `PUT /files/${SHA}/content HTTP/1.1\r\nHost: x\r\nX-API-Key: ${readOnly}\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Length: ${BODY.length}\r\n\r\n`;
    const counts = await outcomes(TRIES, async () => {
      const { text, error } = await writeAllThenRead(server.url, head, BODY);
      if (error) return error;
      return text.split('\r\n', 1)[0]!;
    });
    expect(counts).toEqual({ 'HTTP/1.1 403 Forbidden': TRIES });
  });

  it('a body far larger than the drain bound ends the connection, without waiting for all of it', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<string>((resolve) => {
      socket.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
      socket.on('close', () => resolve('closed'));
    });
    const declared = 60 * 1024 * 1024;
    socket.write(
      `PUT /files/${SHA}/content HTTP/1.1\r\nHost: x\r\nX-API-Key: ${readOnly}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    let sent = 0;
    const chunk = Buffer.alloc(256 * 1024);
    let done = false;
    void ended.then(() => (done = true));
    while (!done && sent < declared) {
      const written = new Promise<void>((resolve) => (socket.write(chunk) ? resolve() : socket.once('drain', resolve)));
      await Promise.race([written, ended]);
      sent += chunk.length;
    }
    await ended;
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    expect(sent).toBeLessThan(declared);
  });

  it('a client that never sends the body it declared is closed after a few seconds', async () => {
    const { hostname, port } = new URL(server.url);
    // Half-open: the client does not answer the server's FIN, so only the server's time bound ends the connection,
    // seen as the first write that fails after it.
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    let failed: string | undefined;
    socket.on('error', (err: Error & { code?: string }) => (failed ??= err.code ?? err.message));
    const started = Date.now();
    socket.write(
      `PUT /files/${SHA}/content HTTP/1.1\r\nHost: x\r\nX-API-Key: ${readOnly}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\nabc`,
    );
    while (failed === undefined && !socket.destroyed && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.write('x');
    }
    const elapsed = Date.now() - started;
    socket.destroy();
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    expect(failed).toBeDefined();
    expect(elapsed).toBeLessThan(15_000);
  });
});
