// An S3 content mount whose service stops answering (radosgw frozen with kill -STOP: connections are accepted, nothing
// is ever answered): uploads and downloads answer 503 within the mount's bound, and the answer to a failed upload does
// not wait for the cleanup of its temporary object (another request the frozen service never answers). A real server;
// the S3 service is a real TCP server that accepts and never answers.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openContentMount, type ContentMount } from '../src/index.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

/** A TCP server that accepts every connection and never sends a byte. */
async function silentService(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The status of a request and how long its answer took (ms). */
async function timed(run: () => Promise<Response>): Promise<{ status: number; ms: number; body: unknown }> {
  const start = Date.now();
  const res = await run();
  const body = (await res.json()) as unknown;
  return { status: res.status, ms: Date.now() - start, body };
}

async function serverOn(url: string): Promise<{ server: TestServer; mount: ContentMount }> {
  const mount = await openContentMount(url, {});
  const server = await startServer({ content: mount.backend, logLevels: [] });
  return { server, mount };
}

describe('an S3 content mount that stops answering', () => {
  let silent: Awaited<ReturnType<typeof silentService>>;
  const opened: { server: TestServer; mount: ContentMount }[] = [];
  const url = (params = '') =>
    `s3://AKIDEXAMPLE:secret@ufs-frozen?endpoint=http://127.0.0.1:${silent.port}&region=us-east-1&forcePathStyle=true&versioning=false${params}`;
  const put = (server: TestServer, body: string) => () =>
    fetch(`${server.url}/files/${sha256Of(body)}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key },
      body,
    });
  beforeAll(async () => {
    silent = await silentService();
  });
  afterAll(async () => {
    for (const { server, mount } of opened) {
      await server.close();
      await mount.dispose();
    }
    await silent?.close();
  });

  it('a failed upload is answered when its write fails, without waiting for the cleanup of its temporary object', async () => {
    // One attempt of 2 s per request: the write fails after about 2 s; the delete of its temporary object would take
    // as long again.
    const on = await serverOn(url('&timeoutMs=2000&connectTimeoutMs=2000&maxAttempts=1'));
    opened.push(on);
    const answer = await timed(put(on.server, 'fourteen bytes'));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'UNAVAILABLE', detail: 'temporarily unavailable, try again' });
    expect(answer.ms).toBeGreaterThanOrEqual(1900);
    expect(answer.ms).toBeLessThan(3500);
  }, 30_000);

  it('with no timeouts configured, PUT and GET answer 503 within the server’s default bound (2 attempts of 15 s)', async () => {
    const on = await serverOn(url());
    opened.push(on);
    const held = 'held content';
    const sha = sha256Of(held);
    const now = new Date().toISOString();
    await on.server.store.insertContentIfAbsent({
      sha256: sha,
      size: held.length,
      state: 'present',
      version: 1,
      uploaded_at: now,
      lease_until: null,
      verified_at: now,
    });
    const [upload, download] = await Promise.all([
      timed(put(on.server, 'fourteen bytes')),
      timed(() => fetch(`${on.server.url}/files/${sha}/content`, { headers: { 'x-api-key': on.server.key } })),
    ]);
    expect([upload.status, download.status]).toEqual([503, 503]);
    // 2 attempts of 15 s (the SDK arms its socket timer 3 s into a request: about 36 s), not the S3 defaults'
    // 3 attempts of 60 s.
    expect(upload.ms).toBeLessThan(45_000);
    expect(download.ms).toBeLessThan(45_000);
  }, 90_000);
});
