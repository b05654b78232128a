import { mkdtemp, rm } from 'node:fs/promises';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { SqliteStore, type MetadataStore } from '../src/index.js';
import { unreadBody } from '../src/content/request-body.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

const MAX_JSON = 1024;

describe('raw uploads take any Content-Type; tus answers 415, 412 with Tus-Version, and OPTIONS without a key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ maxJsonBytes: MAX_JSON, maxUploadBytes: 1_000_000 });
  });
  afterAll(async () => server?.close());

  const put = (sha: string, body: string | Uint8Array, contentType?: string) =>
    fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });

  it.each([
    ['application/json', '{"not":"parsed, only stored"}'],
    ['application/json; charset=utf-8', '{"big": "' + 'x'.repeat(4 * MAX_JSON) + '"}'],
    ['application/json', 'not JSON at all'],
    ['text/plain', 'plain text content'],
    ['application/x-www-form-urlencoded', 'a=1&b=2 as curl --data-binary sends it'],
    ['image/png', '\u0089PNG pretend'],
    [undefined, 'no content type'],
    ['application/json', ''],
  ])('PUT /files/{sha256}/content with Content-Type %s streams the body as the content', async (type, data) => {
    const sha = sha256Of(data);
    const res = await put(sha, Buffer.from(data), type);
    expect(await res.json()).toMatchObject({ sha256: sha, file_size: Buffer.byteLength(data) });
    expect(res.status).toBe(200);
    const back = await fetch(`${server.url}/files/${sha}/content`, { headers: { 'x-api-key': server.key } });
    expect(await back.text()).toBe(data);
  });

  it('a raw upload whose bytes do not match reports the hash of the bytes sent, not of an empty body', async () => {
    const data = '{"json":"with the wrong hash"}';
    const res = await put(sha256Of('something else'), data, 'application/json');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('INTEGRITY');
    expect(body.detail).toContain(sha256Of(data));
    expect(body.detail).not.toContain(sha256Of(''));
  });

  it('JSON endpoints still parse JSON and refuse other types', async () => {
    const res = await fetch(`${server.url}/put_file`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': 'text/plain' },
      body: 'hostname=a',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    // A type no parser takes is 415, with the usual JSON error.
    const xml = await fetch(`${server.url}/put_file`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': 'application/xml' },
      body: '<file/>',
    });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({
      code: 'INVALID_INPUT',
      detail: 'unsupported Content-Type for this endpoint: send the JSON body with Content-Type: application/json',
    });
  });

  it('a tus PATCH with another Content-Type (or none) is 415 and stores nothing', async () => {
    const tus = tusClient(server.url, server.key);
    const data = 'tus content type';
    const { location } = await tus.create(sha256Of(data), data.length);
    for (const type of ['application/json', 'text/plain', 'application/octet-stream', undefined]) {
      const headers: Record<string, string> = {
        'x-api-key': server.key,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        ...(type === undefined ? {} : { 'content-type': type }),
      };
      const res = await fetch(`${server.url}${location}`, {
        method: 'PATCH',
        headers,
        body: Buffer.from(type === 'application/json' ? '{"a":1}' : data),
      });
      expect([type, res.status]).toEqual([type, 415]);
      expect(res.headers.get('tus-resumable')).toBe('1.0.0');
      expect(((await res.json()) as { detail: string }).detail).toMatch(/application\/offset\+octet-stream/);
    }
    expect((await tus.head(location!)).offset).toBe(0);
    expect((await tus.patch(location!, 0, data)).status).toBe(204);
  });

  it('a request with an unsupported Tus-Resumable is 412 and says which versions are supported', async () => {
    const res = await fetch(`${server.url}/tus`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'tus-resumable': '0.2.2', 'upload-length': '5' },
    });
    expect(res.status).toBe(412);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-resumable')).toBe('1.0.0');
  });

  it('OPTIONS needs no key (tus discovery, CORS preflight), on the endpoint and on an upload', async () => {
    for (const path of ['/tus', '/tus/0123456789abcdef0123456789abcdef']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH' },
      });
      expect([path, res.status]).toEqual([path, 204]);
      expect(res.headers.get('tus-version')).toBe('1.0.0');
      expect(res.headers.get('tus-extension')).toContain('creation');
      expect(res.headers.get('tus-max-size')).toBe('1000000');
    }
    // Everything else still needs a key.
    expect((await fetch(`${server.url}/tus`, { method: 'POST', headers: { 'tus-resumable': '1.0.0' } })).status).toBe(
      401,
    );
  });
});

describe('a metadata store that cannot be reached: 503 with a generic detail, the driver text only in the log', () => {
  let server: TestServer;
  let dir: string;
  let sqlite: SqliteStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-server-'));
    sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    const down = new UfsError('UNAVAILABLE', '[ufs] [mongo] find file: connect ECONNREFUSED 10.20.30.40:27017', {
      context: { backend: 'mongo', operation: 'find file' },
    });
    // Keys still work (the store answers them); the file lookups fail as an unreachable MongoDB does.
    const store = new Proxy(sqlite, {
      get(target, prop) {
        if (prop === 'findFile' || prop === 'upsertFile') return () => Promise.reject(down);
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as MetadataStore;
    server = await startServer({ dir, store: { instance: store }, logLevels: [] });
  });
  afterAll(async () => {
    await server?.close();
    await sqlite?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('says the metadata store is unavailable, with the stable code, and names no host or address', async () => {
    const q = new URLSearchParams({ hostname: 'h', filepath: '/f' });
    const res = await fetch(`${server.url}/upload_file/${sha256Of('x')}?${q}`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--\r\n',
    });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toEqual({
      detail: 'metadata store unavailable, try again',
      code: 'UNAVAILABLE',
      retryable: true,
    });
    expect(text).not.toMatch(/10\.20\.30\.40|ECONNREFUSED|mongo/);
  });
});

describe('unreadBody', () => {
  it('refuses a body something already read (it would hash as empty): a server fault, not a mismatch', async () => {
    const req = new IncomingMessage(new Socket());
    Object.assign(req, { method: 'PUT', url: '/files/x/content' });
    expect(unreadBody(req)).toBe(req);
    req.push('{"parsed":true}');
    req.push(null);
    for await (const _ of req) void _;
    let error: unknown;
    try {
      unreadBody(req);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'UNEXPECTED' });
  });
});
