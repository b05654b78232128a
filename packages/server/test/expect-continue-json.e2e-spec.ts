// `Expect: 100-continue` as the README says it works, per kind of route. A streamed upload (PUT
// /files/{sha256}/content, POST /upload_file/{sha256}, a tus PATCH) is refused (401) before any `100 Continue`, and
// so is a JSON route: the key is checked before its body is read. With a good key, a JSON route gets `100 Continue`
// when the parsing starts; a body it refuses unread (415, or a Content-Length over maxJsonBytes: 413) gets none.
// Real HTTP over raw sockets against a real server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

const MAX_JSON = 4096;

describe('Expect: 100-continue without an API key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ maxJsonBytes: MAX_JSON, logLevels: [] });
  });
  afterAll(async () => server?.close());

  /** Sends the headers of a request that expects `100 Continue`; its first answer (waiting at most 2 s). */
  async function expectContinue(method: string, path: string, headers: Record<string, string | number>) {
    const connection = await RawConnection.open(server.url);
    await connection.write(rawRequest(method, path, { Expect: '100-continue', ...headers }));
    return { connection, first: await connection.response({ timeoutMs: 2000 }) };
  }

  it('a streamed upload: 401 at once, never 100 Continue', async () => {
    const { location } = await tusClient(server.url, server.key).create(sha256Of('t'), 1);
    const uploads: [string, string, Record<string, string | number>][] = [
      ['PUT', `/files/${sha256Of('x')}/content`, { 'Content-Type': 'application/octet-stream', 'Content-Length': 1 }],
      [
        'POST',
        `/upload_file/${sha256Of('x')}`,
        { 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': 200 },
      ],
      [
        'PATCH',
        location!,
        {
          'Tus-Resumable': '1.0.0',
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': 0,
          'Content-Length': 1,
        },
      ],
    ];
    for (const [method, path, headers] of uploads) {
      const { connection, first } = await expectContinue(method, path, headers);
      connection.close();
      expect([method, first?.status]).toEqual([method, 401]);
    }
  });

  it('a JSON route: 401 at once, never 100 Continue', async () => {
    const body = JSON.stringify(fileRecord());
    for (const key of [{}, { 'X-API-Key': 'f'.repeat(64) }] as Record<string, string>[]) {
      const { connection, first } = await expectContinue('POST', '/put_file', {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        ...key,
      });
      connection.close();
      expect(first?.status).toBe(401);
    }
  });

  it('with a good key, a JSON route: 100 Continue when its body is parsed, then its answer', async () => {
    const body = JSON.stringify(fileRecord());
    const { connection, first } = await expectContinue('POST', '/put_file', {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'X-API-Key': server.key,
    });
    expect(first?.status).toBe(100);
    await connection.write(body);
    const answer = await connection.response();
    connection.close();
    expect(answer?.status).toBe(201);
  });

  it('a JSON route refusing the body unread (415, 413 by Content-Length): no 100 Continue', async () => {
    for (const [headers, status] of [
      [{ 'Content-Type': 'text/plain', 'Content-Length': 4 }, 415],
      [{ 'Content-Type': 'application/json', 'Content-Length': MAX_JSON + 1 }, 413],
    ] as const) {
      const { connection, first } = await expectContinue('POST', '/put_file', { ...headers, 'X-API-Key': server.key });
      connection.close();
      expect(first?.status).toBe(status);
    }
  });
});
