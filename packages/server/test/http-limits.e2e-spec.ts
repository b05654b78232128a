import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DedupModule, configureDedupApp, openContentMount } from '../src/index.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

const LIMIT = 1024 * 1024;

describe('keep-alive after an error, size limits before the body, 100 Continue after the checks', () => {
  let server: TestServer;
  const open: RawConnection[] = [];
  const connect = async () => {
    const connection = await RawConnection.open(server.url);
    open.push(connection);
    return connection;
  };
  /** A new connection that has sent the head of a multipart `upload_file` (Expect: 100-continue), not its body. */
  const multipartHead = async (sha256: string, filepath: string, length: number, key = server.key) => {
    const connection = await connect();
    const q = new URLSearchParams({ hostname: 'h', filepath });
    await connection.write(
      rawRequest('POST', `/upload_file/${sha256}?${q}`, {
        'x-api-key': key,
        'content-type': 'multipart/form-data; boundary=x',
        'content-length': length,
        expect: '100-continue',
      }),
    );
    return connection;
  };
  beforeAll(async () => {
    server = await startServer({ maxUploadBytes: LIMIT });
  });
  afterEach(() => {
    for (const connection of open.splice(0)) connection.close();
  });
  afterAll(async () => server?.close());

  it('a 404 GET keeps the connection: a request pipelined after it is answered', async () => {
    const connection = await connect();
    await connection.write(
      rawRequest('GET', '/no/such/route', { 'x-api-key': server.key }) + rawRequest('GET', '/health'),
    );
    const notFound = await connection.response();
    expect(notFound?.status).toBe(404);
    expect(notFound?.headers.connection).not.toBe('close');
    expect(JSON.parse(notFound!.body)).toMatchObject({ code: 'NOT_FOUND' });
    const health = await connection.response();
    expect(health?.status).toBe(200);
    expect(JSON.parse(health!.body)).toMatchObject({ status: 'healthy' });
  });

  it('so does a 401 (no key) and a 404 of a route that exists', async () => {
    const connection = await connect();
    const missing = `/get_file/${sha256Of('not catalogued')}`;
    await connection.write(
      rawRequest('GET', missing) +
        rawRequest('GET', missing, { 'x-api-key': server.key }) +
        rawRequest('GET', '/catalogue', { 'x-api-key': server.key }),
    );
    expect((await connection.response())?.status).toBe(401);
    expect((await connection.response())?.status).toBe(404);
    expect((await connection.response())?.status).toBe(200);
  });

  it('an error answered before a declared body arrived still closes the connection', async () => {
    const connection = await connect();
    // A malformed hash, refused while only 5 of the 10 bytes it announces have arrived: the rest must not be parsed
    // as a request, so the connection cannot be kept.
    await connection.write(
      rawRequest('PUT', '/files/nothex/content', { 'x-api-key': server.key, 'content-length': 10 }) + 'GET /',
    );
    const refused = await connection.response();
    expect(refused?.status).toBe(400);
    expect(refused?.headers.connection).toBe('close');
    expect(await connection.closedWithin(5000)).toBe(true);
  });

  it('an error answered after the whole declared body arrived keeps the connection', async () => {
    const connection = await connect();
    // The 10 bytes came with the headers: Node has the whole body, the next request is parsed after it.
    await connection.write(
      rawRequest('PUT', '/files/nothex/content', { 'x-api-key': server.key, 'content-length': 10 }, '0123456789') +
        rawRequest('GET', '/health'),
    );
    const refused = await connection.response();
    expect(refused?.status).toBe(400);
    expect(refused?.headers.connection).not.toBe('close');
    expect((await connection.response())?.status).toBe(200);
  });

  it('a PUT declaring more than the limit is 413 at once: the client need not send the body', async () => {
    const connection = await connect();
    await connection.write(
      rawRequest('PUT', `/files/${sha256Of('big')}/content`, {
        'x-api-key': server.key,
        'content-length': 100_000_000,
      }),
    );
    const res = await connection.response({ timeoutMs: 5000 });
    expect(res?.status).toBe(413);
    expect(JSON.parse(res!.body)).toMatchObject({ code: 'TOO_LARGE' });
    expect(JSON.parse(res!.body).detail).toMatch(new RegExp(`100000000.*${LIMIT}`));
    expect(res?.headers.connection).toBe('close');
  });

  it('with Expect: 100-continue an over-limit PUT gets 413 and no 100 Continue', async () => {
    const connection = await connect();
    await connection.write(
      rawRequest('PUT', `/files/${sha256Of('big')}/content`, {
        'x-api-key': server.key,
        'content-length': LIMIT + 1,
        expect: '100-continue',
      }),
    );
    expect((await connection.response())?.status).toBe(413);
  });

  it('with Expect: 100-continue a bad key gets 401 and no 100 Continue', async () => {
    const keys: Array<Record<string, string>> = [{}, { 'x-api-key': 'f'.repeat(64) }];
    for (const key of keys) {
      const connection = await connect();
      const headers: Record<string, string | number> = { ...key, 'content-length': 1, expect: '100-continue' };
      await connection.write(rawRequest('PUT', `/files/${sha256Of('x')}/content`, headers));
      const res = await connection.response();
      expect(res?.status).toBe(401);
      expect(JSON.parse(res!.body)).toMatchObject({ code: 'PERMISSION_DENIED' });
    }
  });

  it('with Expect: 100-continue a good request gets 100 Continue, then its answer once the body is sent', async () => {
    const data = 'continued upload';
    const connection = await connect();
    await connection.write(
      rawRequest('PUT', `/files/${sha256Of(data)}/content`, {
        'x-api-key': server.key,
        'content-length': data.length,
        expect: '100-continue',
      }),
    );
    expect((await connection.response())?.status).toBe(100);
    await connection.write(data);
    const res = await connection.response();
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body)).toMatchObject({ sha256: sha256Of(data), file_size: data.length });
  });

  it('a multipart upload with Expect and a bad key gets 401 and no 100 Continue', async () => {
    const connection = await multipartHead(sha256Of('m'), '/f', 5000, '0'.repeat(64));
    expect((await connection.response())?.status).toBe(401);
  });

  it('a multipart upload of a recorded file declaring more than the limit gets 413 and no 100 Continue', async () => {
    const sha256 = sha256Of('big multipart');
    const record = fileRecord({ hostname: 'h', filepath: '/big', sha256, file_size: 100_000_000 });
    expect((await client(server.url, server.key).call('POST', '/put_file', record)).status).toBe(201);
    const connection = await multipartHead(sha256, '/big', 100_000_000);
    // The first answer is the refusal: no `100 Continue` came before it, and no byte of the body was sent.
    const res = await connection.response({ timeoutMs: 5000 });
    expect(res?.status).toBe(413);
    expect(JSON.parse(res!.body)).toMatchObject({ code: 'TOO_LARGE', retryable: false });
    expect(JSON.parse(res!.body).detail).toMatch(new RegExp(`Content-Length 100000000\\).*limit of ${LIMIT} bytes`));
    expect(res?.headers.connection).toBe('close');
  });

  it('a multipart upload of a file of exactly the limit is admitted: its framing is allowed for', async () => {
    const data = Buffer.alloc(LIMIT, 7);
    const sha256 = sha256Of(data);
    const record = fileRecord({ hostname: 'h', filepath: '/at-limit', sha256, file_size: LIMIT });
    expect((await client(server.url, server.key).call('POST', '/put_file', record)).status).toBe(201);
    const head = Buffer.from(
      `--x\r\nContent-Disposition: form-data; name="file"; filename="${'n'.repeat(2000)}.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const body = Buffer.concat([head, data, Buffer.from('\r\n--x--\r\n')]);
    const connection = await multipartHead(sha256, '/at-limit', body.length);
    expect((await connection.response())?.status).toBe(100);
    await connection.write(body);
    const res = await connection.response({ timeoutMs: 10_000 });
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body)).toMatchObject({ sha256, file_size: LIMIT, outcome: 'stored' });
  });

  it('a chunked tus PATCH sending more than the upload lacks is 413 in the tus wording', async () => {
    const tus = tusClient(server.url, server.key);
    const { location } = await tus.create(sha256Of('c'.repeat(1000)), 1000);
    const connection = await connect();
    const chunk = 'c'.repeat(1500);
    await connection.write(
      rawRequest('PATCH', location!, {
        'x-api-key': server.key,
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': 0,
        'transfer-encoding': 'chunked',
      }) + `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    const res = await connection.response();
    expect(res?.status).toBe(413);
    expect(res?.headers['tus-resumable']).toBe('1.0.0');
    expect(JSON.parse(res!.body)).toEqual({
      code: 'TOO_LARGE',
      retryable: false,
      detail:
        '[tus] the PATCH body is larger than the 1000 bytes the upload lacks (Upload-Length 1000, Upload-Offset 0)',
    });
    expect((await tus.head(location!)).offset).toBe(0);
  });

  it('a tus PATCH declaring more than the bytes left is 413 naming both, before its body is read', async () => {
    const tus = tusClient(server.url, server.key);
    const { location } = await tus.create(sha256Of('t'.repeat(1000)), 1000);
    const connection = await connect();
    await connection.write(
      rawRequest('PATCH', location!, {
        'x-api-key': server.key,
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': 0,
        'content-length': 900_000,
        expect: '100-continue',
      }),
    );
    const res = await connection.response();
    expect(res?.status).toBe(413);
    expect(res?.headers['tus-resumable']).toBe('1.0.0');
    expect(JSON.parse(res!.body).detail).toMatch(/900000.*1000/);
    expect((await tus.head(location!)).offset).toBe(0);
  });
});

describe('the default limit is checked against the declared length too', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('a PUT declaring more than 10 GiB is 413 without its body', async () => {
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(
        rawRequest('PUT', `/files/${sha256Of('huge')}/content`, {
          'x-api-key': server.key,
          'content-length': 10 * 1024 ** 3 + 1,
        }),
      );
      expect((await connection.response())?.status).toBe(413);
    } finally {
      connection.close();
    }
  });
});

describe('connection-level errors answer the API error shape', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it.each([
    { what: 'oversized headers', request: rawRequest('GET', '/health', { 'x-big': 'a'.repeat(20_000) }), status: 431 },
    { what: 'a malformed request line', request: 'GET /health HTTP/9.9 junk\r\n\r\n', status: 400 },
    { what: 'a header without a colon', request: 'GET /health HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n', status: 400 },
  ])('$what: $status with {detail, code, retryable}', async ({ request, status }) => {
    const code = status === 431 ? 'TOO_LARGE' : 'INVALID_INPUT';
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(request);
      const res = await connection.response();
      expect(res?.status).toBe(status);
      expect(res?.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(res!.body) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'retryable']);
      expect(body).toMatchObject({ code, retryable: false });
      expect(await connection.closedWithin(5000)).toBe(true);
    } finally {
      connection.close();
    }
  });
});

describe('connection-level errors on an app built on an adapter of its own (configureDedupApp)', () => {
  it.each([
    ['a plain adapter', false],
    ['an adapter given a clientErrorHandler', true],
  ])('%s: the API error shape, from the one clientError listener', async (_what, ownHandler) => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-embedded-'));
    const mount = await openContentMount(join(dir, 'content'));
    const calls: string[] = [];
    const app = await NestFactory.create<NestFastifyApplication>(
      DedupModule.forRoot({ store: { sqlitePath: join(dir, 'ufs.db') }, content: mount.backend }),
      new FastifyAdapter({
        forceCloseConnections: true,
        ...(ownHandler && { clientErrorHandler: (err: Error) => void calls.push(err.message) }),
      }),
      { logger: false },
    );
    try {
      configureDedupApp(app, { openApi: false });
      expect(app.getHttpServer().listenerCount('clientError')).toBe(1);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const connection = await RawConnection.open(await app.getUrl());
      try {
        await connection.write(rawRequest('GET', '/health', { 'x-big': 'a'.repeat(20_000) }));
        const res = await connection.response();
        expect(res?.status).toBe(431);
        expect(JSON.parse(res!.body)).toEqual({
          detail: 'the request headers are larger than the server accepts',
          code: 'TOO_LARGE',
          retryable: false,
        });
        expect(await connection.closedWithin(5000)).toBe(true);
      } finally {
        connection.close();
      }
      expect(calls).toEqual([]);
    } finally {
      await app.close();
      await mount.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
