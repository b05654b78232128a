// A refused upload is answered with `Connection: close` and its body is read and dropped (lingering close, see
// src/http/linger.ts). A request pipelined after it on the same connection is not processed (RFC 9112 §9.6: a server
// that sends `close` must not process further requests on that connection): a write it asks for does not happen (an
// API key whose one-time plaintext would be lost, a file record), its body is dropped, and it gets no answer; the
// refused request's answer still reaches the client. Real HTTP on raw sockets against a real server (in its own process).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey, createBootstrapKey, SqliteStore } from '../src/index.js';
import { startChild, type ChildServer } from './helpers/child.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { fileRecord, sha256Of } from './helpers/records.js';

const SHA = sha256Of('never uploaded');

describe('a request pipelined after a refused upload (answered with Connection: close)', () => {
  // The server runs in its own process, as in production: in this one, the test's writes and the server's reads take
  // turns on one event loop, and the pipelined request was seldom processed even before the fix.
  let dir: string;
  let child: ChildServer;
  let store: SqliteStore;
  const server = { url: '', key: '' };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-pipelined-'));
    child = await startChild(dir);
    store = new SqliteStore({ path: join(dir, 'ufs.db') });
    server.url = child.url;
    server.key = (await createBootstrapKey(store)).apiKey;
  });
  afterAll(async () => {
    await child?.kill();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A refused upload (bad key) of a `size`-byte body: its request line, headers and body. */
  const refusedPut = (size: number) =>
    rawRequest('PUT', `/files/${SHA}/content`, {
      'X-API-Key': 'not-a-key',
      'Content-Type': 'application/octet-stream',
      'Content-Length': size,
    }) + 'z'.repeat(size);

  /** A valid key creation named `name`, with the server's admin key. */
  const createKey = (name: string, headers: Record<string, string> = {}) => {
    const body = JSON.stringify({ name });
    return rawRequest(
      'POST',
      '/api_keys',
      { 'X-API-Key': server.key, 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers },
      body,
    );
  };

  const keyNames = async () => (await store.listApiKeys()).map((key) => key.name);

  /** The 401 with `connection: close`, then no other answer before the server closes the connection. */
  const expectOnlyTheRefusal = async (conn: RawConnection) => {
    const first = await conn.response();
    expect(first).toMatchObject({ status: 401, headers: { connection: 'close' } });
    expect(JSON.parse(first!.body)).toMatchObject({ detail: expect.stringMatching(/key/i) });
    expect(await conn.response({ timeoutMs: 2000 })).toBeNull();
    expect(await conn.closedWithin(6000)).toBe(true);
  };

  it('sent in one write with the refused body: the 401 arrives, the pipelined key creation does not happen', async () => {
    // The tester's case. Whether the server got to it before the connection closed was a race: tried a few times.
    for (let i = 0; i < 5; i++) {
      const conn = await RawConnection.open(server.url);
      await conn.write(refusedPut(100_000) + createKey(`pipedkey1-${i}`));
      await expectOnlyTheRefusal(conn);
    }
    expect((await keyNames()).filter((name) => name.startsWith('pipedkey1'))).toEqual([]);
  });

  it('a pipelined request without a body (a key deletion, an upload creation) is not processed', async () => {
    const { record } = await createApiKey(store, { name: 'kept' });
    const conn = await RawConnection.open(server.url);
    const tus = { 'X-API-Key': server.key, 'Tus-Resumable': '1.0.0', 'Upload-Length': 10 };
    await conn.write(
      refusedPut(100_000) +
        rawRequest('DELETE', `/api_keys/${record.id}`, { 'X-API-Key': server.key }) +
        rawRequest('POST', '/tus', { ...tus, 'Upload-Metadata': `sha256 ${Buffer.from(SHA).toString('base64')}` }),
    );
    await expectOnlyTheRefusal(conn);
    expect(await store.getApiKey(record.id)).toMatchObject({ name: 'kept', is_active: true });
    expect(await store.listExpiredUploads(new Date(Date.now() + 365 * 86_400_000), 10)).toEqual([]);
  });

  it('sent after the 401 arrived, with the rest of the refused body: not processed either', async () => {
    const conn = await RawConnection.open(server.url);
    const put = refusedPut(300_000);
    await conn.write(put.slice(0, put.length - 200_000));
    const first = await conn.response();
    expect(first).toMatchObject({ status: 401, headers: { connection: 'close' } });
    await conn.write(put.slice(put.length - 200_000) + createKey('pipedkey2'));
    expect(await conn.response({ timeoutMs: 2000 })).toBeNull();
    expect(await conn.closedWithin(6000)).toBe(true);
    expect(await keyNames()).not.toContain('pipedkey2');
  });

  it('a pipelined request that expects 100-continue, and one that writes a file record: neither is processed', async () => {
    const conn = await RawConnection.open(server.url);
    const record = JSON.stringify(fileRecord({ hostname: 'piped', filepath: '/after-close' }));
    const putFile = rawRequest(
      'POST',
      '/put_file',
      { 'X-API-Key': server.key, 'Content-Type': 'application/json', 'Content-Length': record.length },
      record,
    );
    await conn.write(refusedPut(100_000) + createKey('pipedkey3', { Expect: '100-continue' }) + putFile);
    await expectOnlyTheRefusal(conn);
    expect(await keyNames()).not.toContain('pipedkey3');
    expect(await store.findFile('piped', '/after-close')).toBeNull();
  });

  it('a connection whose refused request had no body stays open: the request after it is answered', async () => {
    const conn = await RawConnection.open(server.url);
    await conn.write(rawRequest('GET', `/files/${SHA}/content`, { 'X-API-Key': 'not-a-key' }) + createKey('pipedkey4'));
    const first = await conn.response();
    expect(first?.status).toBe(401);
    expect(first?.headers.connection).not.toBe('close');
    expect((await conn.response())?.status).toBe(201);
    conn.close();
    expect(await keyNames()).toContain('pipedkey4');
  });
});
