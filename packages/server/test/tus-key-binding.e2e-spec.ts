// A tus upload is bound to the API key that created it. Before, any write key that learnt an upload's id could PATCH
// and DELETE it (both 204): cancel or disturb someone else's upload. Now HEAD, PATCH and DELETE with another key
// answer 404, as for an upload that does not exist; an admin key may DELETE any. The owner is stored with the
// session: a restarted server (or another replica) keeps the binding. An upload created before (no owner recorded)
// stays usable by any write key.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey } from '../src/index.js';
import { client, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

/** The answer to a tus request, its body with the upload's id made generic (to compare two uploads' answers). */
async function answer(url: string, method: string, location: string, key: string, body?: string) {
  const res = await fetch(`${url}${location}`, {
    method,
    headers: {
      'x-api-key': key,
      'tus-resumable': '1.0.0',
      ...(body === undefined ? {} : { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const id = location.split('/').pop()!;
  return { status: res.status, body: (await res.text()).replaceAll(id, '<id>') };
}

describe('tus: an upload belongs to the key that created it', () => {
  let dir: string;
  let server: TestServer;
  /** Write keys A and B, a key with the admin scope only, a read-only key. */
  let a: string;
  let b: string;
  let adminOnly: string;
  let reader: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-tus-keys-'));
    server = await startServer({ dir, logLevels: [] });
    a = (await createApiKey(server.store, { name: 'a', scopes: ['write'] })).apiKey;
    b = (await createApiKey(server.store, { name: 'b', scopes: ['write'] })).apiKey;
    adminOnly = (await createApiKey(server.store, { name: 'admin', scopes: ['admin'] })).apiKey;
    reader = (await createApiKey(server.store, { name: 'reader', scopes: ['read'] })).apiKey;
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('HEAD, PATCH and DELETE with another write key answer 404 as for an absent upload; the owner goes on', async () => {
    const data = 'owned by key a';
    const { status, location } = await tusClient(server.url, a).create(sha256Of(data), data.length);
    expect(status).toBe(201);
    const absent = `/tus/${randomBytes(16).toString('hex')}`;

    for (const [method, body] of [['HEAD'], ['PATCH', 'intruder'], ['DELETE']] as const) {
      const theirs = await answer(server.url, method, location!, b, body);
      expect(theirs.status).toBe(404);
      // The same answer as for an id no upload has: the upload's existence is not revealed.
      expect(theirs).toEqual(await answer(server.url, method, absent, b, body));
    }
    // The admin scope lets a key DELETE another's upload, not look at it or write to it.
    expect((await answer(server.url, 'HEAD', location!, server.key)).status).toBe(404);
    expect((await answer(server.url, 'PATCH', location!, server.key, 'x')).status).toBe(404);
    // A read-only key is refused for its scope, as before.
    expect((await answer(server.url, 'HEAD', location!, reader)).status).toBe(403);

    // Nothing of the other keys' requests reached the upload: its owner finishes it.
    const mine = tusClient(server.url, a);
    expect(await mine.head(location!)).toMatchObject({ status: 200, offset: 0 });
    expect((await mine.patch(location!, 0, data)).status).toBe(204);
    expect((await mine.head(location!)).offset).toBe(data.length);
    const held = await client(server.url, server.key).call('GET', `/files/${sha256Of(data)}/content`);
    expect(held.status).toBe(200);
  });

  it('an admin key may DELETE any upload (the admin scope alone is enough)', async () => {
    for (const admin of [server.key, adminOnly]) {
      const data = `terminated by an admin ${admin.slice(0, 8)}`;
      const { location } = await tusClient(server.url, a).create(sha256Of(data), data.length);
      expect((await tusClient(server.url, a).patch(location!, 0, data.slice(0, 5))).status).toBe(204);
      expect(await tusClient(server.url, admin).terminate(location!)).toBe(204);
      expect((await tusClient(server.url, a).head(location!)).status).toBe(404);
      expect(await server.store.getUpload(location!.split('/').pop()!)).toBeNull();
    }
  });

  it('HEAD answers the Upload-Metadata the client sent, nothing of the owner', async () => {
    const data = 'metadata';
    const { location } = await tusClient(server.url, a).create(sha256Of(data), data.length, { filename: 'm.txt' });
    const head = await tusClient(server.url, a).head(location!);
    const sent = `sha256 ${Buffer.from(sha256Of(data)).toString('base64')},filename ${Buffer.from('m.txt').toString('base64')}`;
    expect(head.headers.get('upload-metadata')).toBe(sent);
  });

  it('an upload created before uploads were bound to keys (no owner recorded) is usable by any write key', async () => {
    const data = 'from an older server';
    const id = randomBytes(16).toString('hex');
    const now = new Date();
    await server.store.insertUpload({
      id,
      sha256: sha256Of(data),
      length: data.length,
      offset: 0,
      parts: [],
      metadata: { sha256: sha256Of(data), filename: 'old.txt' },
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
    });
    const location = `/tus/${id}`;
    const head = await tusClient(server.url, b).head(location);
    expect(head).toMatchObject({ status: 200, offset: 0 });
    // Re-encoded from the stored pairs: the client's own.
    expect(head.headers.get('upload-metadata')).toBe(
      `sha256 ${Buffer.from(sha256Of(data)).toString('base64')},filename ${Buffer.from('old.txt').toString('base64')}`,
    );
    expect((await tusClient(server.url, a).patch(location, 0, data.slice(0, 4))).status).toBe(204);
    expect((await tusClient(server.url, b).patch(location, 4, data.slice(4))).status).toBe(204);
    expect((await client(server.url, server.key).call('GET', `/files/${sha256Of(data)}/content`)).status).toBe(200);
  });

  it('the binding is stored with the upload: a restarted server keeps it, and the owner resumes', async () => {
    const data = 'resumed after a restart';
    const { location } = await tusClient(server.url, a).create(sha256Of(data), data.length);
    expect((await tusClient(server.url, a).patch(location!, 0, data.slice(0, 7))).status).toBe(204);
    await server.close();
    server = await startServer({ dir, logLevels: [] });

    expect((await answer(server.url, 'HEAD', location!, b)).status).toBe(404);
    expect((await answer(server.url, 'PATCH', location!, b, 'intruder')).status).toBe(404);
    expect((await answer(server.url, 'DELETE', location!, b)).status).toBe(404);
    const mine = tusClient(server.url, a);
    const head = await mine.head(location!);
    expect(head).toMatchObject({ status: 200, offset: 7 });
    expect((await mine.patch(location!, 7, data.slice(7))).status).toBe(204);
    expect((await client(server.url, server.key).call('GET', `/files/${sha256Of(data)}/content`)).status).toBe(200);
  });
});
