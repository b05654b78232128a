// An upload whose body stalls (a client that announced more than it sends, then goes silent) must not hold its
// connection and its temporary object for ever: after `bodyIdleTimeoutMs` without a byte the connection is closed,
// as if the client had gone away — the temporary object is removed, a tus PATCH keeps what arrived. A body that is
// slow but keeps coming is not cut. A temporary object removed while it is written (by a GC of stale temporary
// objects) is a 503 the client may retry, never a 500.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEMP_PREFIX } from '../src/content/content-store.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { partialPatch, tusClient } from './helpers/tus.js';

const IDLE_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the server closed `connection` (true), or `ms` passed (false). */
async function closedWithin(connection: RawConnection, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!connection.closed && Date.now() < deadline) await sleep(50);
  return connection.closed;
}

describe('a streamed upload whose body stalls', () => {
  let server: TestServer;
  const temps = async () => readdir(join(server.dir, 'content', TEMP_PREFIX)).catch(() => [] as string[]);

  beforeAll(async () => {
    server = await startServer({ bodyIdleTimeoutMs: IDLE_MS });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('PUT /files/{sha256}/content: connection closed after the idle time, temporary object removed', async () => {
    const connection = await RawConnection.open(server.url);
    const started = Date.now();
    await connection.write(
      rawRequest('PUT', `/files/${'a'.repeat(64)}/content`, { 'X-API-Key': server.key, 'Content-Length': 1_000_000 }) +
        'abc',
    );
    expect(await closedWithin(connection, IDLE_MS + 5000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 100);
    // The cleanup follows the close.
    for (let i = 0; i < 40 && (await temps()).length > 0; i++) await sleep(50);
    expect(await temps()).toEqual([]);
  }, 30_000);

  it('PUT of content already held (its bytes only hashed): connection closed after the idle time', async () => {
    const data = 'held already';
    const sha = sha256Of(data);
    const put = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key },
      body: data,
    });
    expect(put.status).toBe(200);
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('PUT', `/files/${sha}/content`, { 'X-API-Key': server.key, 'Content-Length': data.length }) + 'he',
    );
    expect(await closedWithin(connection, IDLE_MS + 5000)).toBe(true);
  }, 30_000);

  it('POST /upload_file/{sha256} (multipart): connection closed after the idle time, nothing left', async () => {
    const data = 'm'.repeat(50_000);
    const sha = sha256Of(data);
    const record = fileRecord({ hostname: 'idle', filepath: '/m', sha256: sha, file_size: data.length });
    expect((await client(server.url, server.key).call('POST', '/put_file', record)).status).toBe(201);
    const part =
      '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="m"\r\n' +
      'Content-Type: application/octet-stream\r\n\r\n';
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('POST', `/upload_file/${sha}?hostname=idle&filepath=%2Fm`, {
        'X-API-Key': server.key,
        'Content-Type': 'multipart/form-data; boundary=b0undary',
        'Content-Length': part.length + data.length + 14,
      }) +
        part +
        data.slice(0, 10_000),
    );
    expect(await closedWithin(connection, IDLE_MS + 5000)).toBe(true);
    for (let i = 0; i < 40 && (await temps()).length > 0; i++) await sleep(50);
    expect(await temps()).toEqual([]);
  }, 30_000);

  it('PATCH /tus/{id}: connection closed after the idle time, the bytes that arrived are kept', async () => {
    const data = 'z'.repeat(100_000);
    const tus = tusClient(server.url, server.key);
    const { location } = await tus.create(sha256Of(data), data.length);
    const connection = await partialPatch(server, location!, data.length, data.slice(0, 40_000));
    expect(await closedWithin(connection, IDLE_MS + 5000)).toBe(true);
    let offset = 0;
    for (let i = 0; i < 40 && offset === 0; i++) {
      offset = (await tus.head(location!)).offset;
      if (offset === 0) await sleep(50);
    }
    expect(offset).toBe(40_000);
    // The upload goes on from there.
    expect((await tus.patch(location!, offset, data.slice(offset))).status).toBe(204);
  }, 30_000);

  it('a slow body that keeps coming (a byte more often than the idle time) is not cut', async () => {
    const data = 'slow but steady';
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('PUT', `/files/${sha256Of(data)}/content`, { 'X-API-Key': server.key, 'Content-Length': data.length }),
    );
    const started = Date.now();
    for (const char of data) {
      await sleep(IDLE_MS / 5);
      await connection.write(char);
    }
    expect(Date.now() - started).toBeGreaterThan(IDLE_MS * 2);
    const answer = await connection.response({ timeoutMs: 10_000 });
    expect(answer?.status).toBe(200);
  }, 30_000);

  it('a temporary object removed under a live upload answers 503 retryable, not 500', async () => {
    const data = Buffer.alloc(2_000_000, 3);
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('PUT', `/files/${sha256Of(data.toString())}/content`, {
        'X-API-Key': server.key,
        'Content-Length': data.length,
      }),
    );
    await connection.write(data.subarray(0, 1_000_000));
    // What a GC of stale temporary objects does to one that looks abandoned.
    for (let i = 0; i < 40 && (await temps()).length === 0; i++) await sleep(50);
    expect((await temps()).length).toBeGreaterThan(0);
    await rm(join(server.dir, 'content', TEMP_PREFIX), { recursive: true, force: true });
    await connection.write(data.subarray(1_000_000));
    const answer = await connection.response({ timeoutMs: 10_000 });
    expect(answer?.status).toBe(503);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  }, 30_000);
});
