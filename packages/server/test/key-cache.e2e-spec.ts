import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Replicas reuse an API key record they read for `keyCacheMs`: revocation is immediate on the replica that revoked
 * and reaches the others within that time.
 */
describe('API key records cached per replica (keyCacheMs)', () => {
  let a: TestServer;
  let cached: TestServer;
  let uncached: TestServer;

  beforeAll(async () => {
    a = await startServer();
    cached = await startServer({ dir: a.dir, keyCacheMs: 300 });
    uncached = await startServer({ dir: a.dir, keyCacheMs: 0 });
  });
  afterAll(async () => {
    await uncached?.close();
    await cached?.close();
    await a?.close();
  });

  async function newKey(): Promise<{ id: string; on: (server: TestServer) => TestClient }> {
    const created = await client(a.url, a.key).call('POST', '/api_keys', { name: `k-${Math.random()}` });
    expect(created.status).toBe(201);
    return { id: created.json._id as string, on: (server) => client(server.url, created.json.api_key as string) };
  }

  it('a key revoked on one replica is refused there at once, and on a caching replica within keyCacheMs', async () => {
    const key = await newKey();
    for (const server of [a, cached, uncached]) {
      expect((await key.on(server).call('POST', '/put_file', fileRecord())).status).toBe(201);
    }
    expect((await client(a.url, a.key).call('PUT', `/api_keys/${key.id}/revoke`)).status).toBe(200);
    expect((await key.on(a).call('POST', '/put_file', fileRecord())).status).toBe(401);
    expect((await key.on(uncached).call('POST', '/put_file', fileRecord())).status).toBe(401);

    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 5000) {
      status = (await key.on(cached).call('POST', '/put_file', fileRecord())).status;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Refused once its cache entry (300 ms) ran out, although the key was in use the whole time.
    expect(status).toBe(401);
  });

  it('a deleted key is refused at once by the replica that deleted it, even right after it was used there', async () => {
    const key = await newKey();
    expect((await key.on(cached).call('POST', '/put_file', fileRecord())).status).toBe(201);
    expect((await client(cached.url, a.key).call('DELETE', `/api_keys/${key.id}`)).status).toBe(200);
    const refused = await key.on(cached).call('POST', '/put_file', fileRecord());
    expect(refused.status).toBe(401);
    expect(refused.json.detail).toBe('invalid API key');
  });

  it('invalid keys are never remembered: a wrong key stays refused and a valid one works', async () => {
    const wrong = client(cached.url, 'f'.repeat(64));
    for (let i = 0; i < 3; i++) expect((await wrong.call('GET', '/api_keys')).status).toBe(401);
    expect((await client(cached.url, a.key).call('GET', '/api_keys')).status).toBe(200);
  });
});
