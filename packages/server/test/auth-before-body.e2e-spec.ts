// The API key is checked before a request body is read (a Fastify onRequest hook), so a client without a known,
// active key cannot make the server parse a JSON body (nested arrays held the event loop for seconds) nor hold a
// connection by dripping one; scopes and the rate limit stay in the guard, counted once. JSON bodies nested deeper
// than 64 levels are refused before JSON.parse. Real HTTP over raw sockets against a real server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { client, fileRecord } from './helpers/records.js';
import { routeAccess } from './helpers/openapi-routes.js';
import { inOneRateWindow, startServer, type TestServer } from './helpers/server.js';

const WRONG_KEY = 'f'.repeat(64);
const DECLARED = 16 * 1024 * 1024;

describe('API key checked before the body is read', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ logLevels: [] });
  });
  afterAll(async () => server?.close());

  /** Sends the headers of a JSON request declaring a 16 MiB body and `sent` of it; the first answer, or null. */
  async function partialJson(
    method: string,
    path: string,
    headers: Record<string, string>,
    sent: string,
    timeoutMs = 5000,
  ) {
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest(method, path, { 'Content-Type': 'application/json', 'Content-Length': DECLARED, ...headers }, sent),
    );
    return { connection, answer: await connection.response({ timeoutMs }) };
  }

  it('a wrong, missing or revoked key on a JSON route: 401 while most of the body is still unsent', async () => {
    const revoked = await client(server.url, server.key).call('POST', '/api_keys', { name: 'to-revoke' });
    expect(revoked.status).toBe(201);
    expect((await client(server.url, server.key).call('PUT', `/api_keys/${revoked.json._id}/revoke`)).status).toBe(200);
    const cases: [Record<string, string>, string][] = [
      [{ 'X-API-Key': WRONG_KEY }, 'invalid API key'],
      [{}, 'missing X-API-Key header'],
      [{ 'X-API-Key': revoked.json.api_key as string }, 'API key has been revoked'],
    ];
    for (const [headers, detail] of cases) {
      const { connection, answer } = await partialJson('POST', '/put_files', headers, '{"files":[[[[[[[[');
      expect(answer?.status).toBe(401);
      expect(JSON.parse(answer!.body)).toEqual({ detail, code: 'PERMISSION_DENIED', retryable: false });
      expect(answer?.headers['www-authenticate']).toBe('X-API-Key');
      // The rest of the body is not waited for: the connection closes (after the bounded lingering close).
      expect(answer?.headers.connection).toBe('close');
      expect(await connection.closedWithin(15_000)).toBe(true);
      connection.close();
    }
  });

  it('a client dripping a body with a wrong key gets its 401 at once and the connection closes', async () => {
    const { connection, answer } = await partialJson('POST', '/put_file', { 'X-API-Key': WRONG_KEY }, '{');
    expect(answer?.status).toBe(401);
    await connection.write('"').catch(() => undefined); // one more byte, as a dripping client sends it
    expect(await connection.closedWithin(15_000)).toBe(true);
    connection.close();
  });

  it('with Expect: 100-continue and a wrong key, a JSON route answers 401 and never 100 Continue', async () => {
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('POST', '/put_file', {
        'Content-Type': 'application/json',
        'Content-Length': 100,
        Expect: '100-continue',
        'X-API-Key': WRONG_KEY,
      }),
    );
    const first = await connection.response({ timeoutMs: 5000 });
    connection.close();
    expect(first?.status).toBe(401);
  });

  it('every route that needs a key refuses a wrong one before reading a body', async () => {
    const sha = 'a'.repeat(64);
    const routes = routeAccess(server).filter((r) => !r.public);
    expect(routes.length).toBeGreaterThan(10);
    for (const { method, route } of routes) {
      const path = route.replace('{sha256}', sha).replace(/\{\w+\}/g, 'x');
      const connection = await RawConnection.open(server.url);
      await connection.write(
        rawRequest(method === 'ALL' ? 'POST' : method, path, {
          'Content-Type': 'application/json',
          'Content-Length': DECLARED,
          'X-API-Key': WRONG_KEY,
          'Tus-Resumable': '1.0.0',
        }),
      );
      const answer = await connection.response({ timeoutMs: 5000, head: method === 'HEAD' });
      connection.close();
      expect([method, route, answer?.status]).toEqual([method, route, 401]);
    }
  });

  it('a good key: the body is read and parsed as before', async () => {
    const body = JSON.stringify(fileRecord({ filepath: '/early/ok.txt' }));
    const { connection, answer } = await partialJson(
      'POST',
      '/put_file',
      { 'X-API-Key': server.key, 'Content-Length': String(Buffer.byteLength(body)) },
      body.slice(0, 10),
      300,
    );
    expect(answer).toBeNull(); // no answer yet: the server waits for the rest of the body
    await connection.write(body.slice(10));
    const done = await connection.response();
    connection.close();
    expect(done?.status).toBe(201);
  });

  it('routes without a key keep working, a wrong key header ignored', async () => {
    for (const path of ['/', '/health', '/health/live', '/openapi.json']) {
      const res = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': WRONG_KEY } });
      expect([path, res.status]).toEqual([path, 200]);
    }
    // /metrics needs a key unless publicMetrics: a wrong one is 401.
    expect((await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': WRONG_KEY } })).status).toBe(401);
  });

  it('the rate limit counts each request once', async () => {
    await inOneRateWindow();
    const made = await client(server.url, server.key).call('POST', '/api_keys', {
      name: 'limited',
      rate_limit_per_minute: 2,
    });
    const limited = client(server.url, made.json.api_key as string);
    const first = await fetch(`${server.url}/put_file`, {
      method: 'POST',
      headers: { 'x-api-key': made.json.api_key as string, 'content-type': 'application/json' },
      body: JSON.stringify(fileRecord({ filepath: '/early/limited.txt' })),
    });
    expect(first.status).toBe(201);
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await limited.call('GET', '/files?limit=1')).status).toBe(200);
    expect((await limited.call('GET', '/files?limit=1')).status).toBe(429);
  });
});

describe('JSON nesting limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ logLevels: [] });
  });
  afterAll(async () => server?.close());

  async function post(body: string) {
    const res = await fetch(`${server.url}/put_files`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, json: (await res.json()) as { detail: string; code: string } };
  }

  it('a body nested deeper than 64 levels is 400 INVALID_INPUT naming the limit, before it is parsed', async () => {
    const deep = `{"files":${'['.repeat(64)}${']'.repeat(64)}}`; // 65 levels with the object
    expect(await post(deep)).toEqual({
      status: 400,
      json: {
        detail: 'the JSON body nests arrays and objects deeper than 64 levels (the limit)',
        code: 'INVALID_INPUT',
        retryable: false,
      },
    });
    // Millions of levels (16 MiB would be the limit of a body; 2 MiB here) are refused the same way.
    const huge = `{"files":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    expect((await post(huge)).json.code).toBe('INVALID_INPUT');
    expect((await post(huge)).json.detail).toMatch(/deeper than 64 levels/);
  });

  it('64 levels pass the limit; brackets inside strings do not count', async () => {
    const at = await post(`{"files":${'['.repeat(63)}${']'.repeat(63)}}`);
    expect(at.status).toBe(400);
    expect(at.json.detail).not.toMatch(/deeper than/);
    const bracketed = fileRecord({ filepath: `/odd/${'['.repeat(100)}\\"{{{{.txt` });
    const res = await post(JSON.stringify({ files: [bracketed] }));
    expect(res.status).toBe(200);
  });
});
