import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignedUrls } from '../src/index.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const DAY = 86_400;

/** Signed content URLs: POST /files/{sha256}/share, then a plain GET/HEAD without a key until they expire. */
describe('signed content URLs (share)', () => {
  let a: TestServer;
  let b: TestServer;
  let c: TestClient;
  const data = 'shared bytes '.repeat(3000);
  const sha = sha256Of(data);

  beforeAll(async () => {
    a = await startServer();
    b = await startServer({ dir: a.dir }); // a second replica on the same SQLite file and content folder
    c = client(a.url, a.key);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'h', filepath: '/s.bin', sha256: sha, file_size: data.length }),
    );
    expect((await c.upload(sha, data, 'h', '/s.bin')).status).toBe(200);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('share answers 201 with a signed URL (default 7 days) that serves the bytes to a plain GET', async () => {
    const before = Math.floor(Date.now() / 1000);
    const shared = await c.call('POST', `/files/${sha}/share`);
    expect(shared.status).toBe(201);
    const url = new URL(shared.json.url as string, a.url);
    expect(url.pathname).toBe(`/files/${sha}/content`);
    expect(url.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
    const expires = Number(url.searchParams.get('expires'));
    expect(expires - before).toBeGreaterThanOrEqual(7 * DAY);
    expect(expires - before).toBeLessThanOrEqual(7 * DAY + 2);
    expect(shared.json.expires_at).toBe(new Date(expires * 1000).toISOString());

    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe(data);
    expect(plain.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
  });

  it('the URL names the key that made it and stops working once that key is revoked or deleted', async () => {
    const made = await c.call('POST', '/api_keys', { name: 'sharer', scopes: ['read'] });
    const sharer = client(a.url, made.json.api_key as string);
    const urls = [];
    for (let i = 0; i < 2; i++) {
      const shared = await sharer.call('POST', `/files/${sha}/share`, { expires_in: 600 });
      const url = new URL(shared.json.url as string, a.url);
      expect(url.searchParams.get('kid')).toBe(made.json._id);
      expect((await fetch(url)).status).toBe(200);
      urls.push(url);
    }
    // Another kid (an existing key's) with the same signature is refused: the signature covers it.
    const moved = new URL(urls[0]!);
    moved.searchParams.set('kid', (await c.call('GET', '/api_keys')).json[0]._id as string);
    expect((await fetch(moved)).status).toBe(403);
    const stripped = new URL(urls[0]!);
    stripped.searchParams.delete('kid');
    expect((await fetch(stripped)).status).toBe(403);

    expect((await c.call('PUT', `/api_keys/${made.json._id}/revoke`)).status).toBe(200);
    for (const server of [a, b]) {
      const res = await fetch(new URL(urls[0]!.pathname + urls[0]!.search, server.url));
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        detail: 'the API key that signed this URL is no longer valid (revoked): ask for a new URL',
        code: 'PERMISSION_DENIED',
        retryable: false,
      });
      expect((await fetch(new URL(urls[0]!.pathname + urls[0]!.search, server.url), { method: 'HEAD' })).status).toBe(
        403,
      );
    }
    expect((await c.call('DELETE', `/api_keys/${made.json._id}`)).status).toBe(200);
    const gone = await fetch(urls[1]!);
    expect(gone.status).toBe(403);
    expect(((await gone.json()) as { detail: string }).detail).toBe(
      'the API key that signed this URL is no longer valid (deleted): ask for a new URL',
    );
    const badKid = new URL(urls[1]!);
    badKid.searchParams.set('kid', 'a b');
    expect(((await (await fetch(badKid)).json()) as { detail: string }).detail).toBe(
      'invalid signed URL: "kid" must be one API key id',
    );
  });

  it('a URL signed before URLs named their key (no kid) is honoured until it expires', async () => {
    const secret = 'y'.repeat(32);
    const own = await startServer({ dir: a.dir, signingSecret: secret });
    try {
      const expires = Math.floor(Date.now() / 1000) + 600;
      const signature = createHmac('sha256', secret).update(`${sha}:${expires}`).digest('hex');
      const res = await fetch(`${own.url}/files/${sha}/content?expires=${expires}&signature=${signature}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(data);
      const past = Math.floor(Date.now() / 1000) - 10;
      const old = createHmac('sha256', secret).update(`${sha}:${past}`).digest('hex');
      expect((await fetch(`${own.url}/files/${sha}/content?expires=${past}&signature=${old}`)).status).toBe(403);
    } finally {
      await own.close();
    }
  });

  it('Range works with the signature; expires_in sets the lifetime', async () => {
    const shared = await c.call('POST', `/files/${sha}/share`, { expires_in: 60 });
    expect(shared.status).toBe(201);
    expect(Date.parse(shared.json.expires_at as string) - Date.now()).toBeLessThanOrEqual(61_000);
    const part = await fetch(new URL(shared.json.url as string, a.url), { headers: { range: 'bytes=5-14' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 5-14/${data.length}`);
    expect(await part.text()).toBe(data.slice(5, 15));
  });

  it('a tampered signature, another hash or a changed expiry is 403 with a clear detail', async () => {
    const url = new URL((await c.call('POST', `/files/${sha}/share`)).json.url as string, a.url);
    const signature = url.searchParams.get('signature')!;
    const flipped = new URL(url);
    flipped.searchParams.set('signature', (signature[0] === '0' ? '1' : '0') + signature.slice(1));
    const bad = await fetch(flipped);
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { detail: string }).detail).toBe('invalid signature for this content URL');

    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 1));
    expect((await fetch(later)).status).toBe(403);

    const other = sha256Of('other');
    const moved = new URL(`/files/${other}/content${url.search}`, a.url);
    expect((await fetch(moved)).status).toBe(403);

    const garbage = await fetch(`${a.url}/files/${sha}/content?expires=soon&signature=xyz`);
    expect(garbage.status).toBe(403);
    expect(((await garbage.json()) as { detail: string }).detail).toMatch(/expires/);
    const half = await fetch(`${a.url}/files/${sha}/content?signature=${signature}`);
    expect(half.status).toBe(403);
    expect(((await half.json()) as { detail: string }).detail).toMatch(/"expires" and one "signature"/);
    // neither key nor signature: 401 as before
    expect((await fetch(`${a.url}/files/${sha}/content`)).status).toBe(401);
  });

  it('an expired URL is 403 saying it expired', async () => {
    const signed = a.app.get(SignedUrls);
    const keyId = (await c.call('GET', '/api_keys')).json[0]._id as string;
    const old = await signed.sign(sha, keyId, 60, Date.now() - 3_600_000);
    const res = await fetch(new URL(old.url, a.url));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toBe(`this signed URL expired at ${old.expires_at}`);
  });

  it('unknown hash is 404; bad input is 400; a read-only key can share; no key is 401', async () => {
    const unknown = await c.call('POST', `/files/${sha256Of('never uploaded')}/share`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.detail).toMatch(/no verified content/);
    expect((await c.call('POST', '/files/not-a-hash/share')).status).toBe(400);
    for (const body of [
      { expires_in: 0 },
      { expires_in: 31 * DAY },
      { expires_in: 1.5 },
      { expires_in: '60' },
      { x: 1 },
    ]) {
      const res = await c.call('POST', `/files/${sha}/share`, body);
      expect([res.status, res.json.code]).toEqual([400, 'INVALID_INPUT']);
    }
    expect((await c.call('POST', `/files/${sha}/share`, { expires_in: 30 * DAY })).status).toBe(201);

    const ro = await c.call('POST', '/api_keys', { name: 'share-reader', scopes: ['read'] });
    const reader = client(a.url, ro.json.api_key as string);
    const shared = await reader.call('POST', `/files/${sha}/share`, { expires_in: 600 });
    expect(shared.status).toBe(201);
    expect(await (await fetch(new URL(shared.json.url as string, a.url))).text()).toBe(data);
    expect((await client(a.url, '').call('POST', `/files/${sha}/share`)).status).toBe(401);
  });

  it('two replicas on one store agree on the generated secret', async () => {
    const fromA = (await c.call('POST', `/files/${sha}/share`)).json.url as string;
    const fromB = (await client(b.url, a.key).call('POST', `/files/${sha}/share`)).json.url as string;
    const onB = await fetch(new URL(fromA, b.url));
    expect(onB.status).toBe(200);
    expect(await onB.text()).toBe(data);
    expect((await fetch(new URL(fromB, a.url))).status).toBe(200);
  });

  it('a configured signingSecret is used instead of the stored one', async () => {
    const own = await startServer({ dir: a.dir, signingSecret: 'x'.repeat(32) });
    try {
      const url = (await client(own.url, a.key).call('POST', `/files/${sha}/share`)).json.url as string;
      expect((await fetch(new URL(url, own.url))).status).toBe(200);
      expect((await fetch(new URL(url, a.url))).status).toBe(403);
    } finally {
      await own.close();
    }
    await expect(startServer({ dir: a.dir, signingSecret: 'short', logLevels: [] })).rejects.toThrow(
      /at least 16 characters/,
    );
  });

  it('the OpenAPI document describes the share route and its schemas', async () => {
    const doc = (await (await fetch(`${a.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths['/files/{sha256}/share']?.post).toBeDefined();
    expect(Object.keys(doc.components.schemas.ShareRequest?.properties ?? {})).toEqual(['expires_in']);
    expect(Object.keys(doc.components.schemas.ShareResponse?.properties ?? {}).sort()).toEqual(['expires_at', 'url']);
  });
});
