// A JSON body that stalls (a client that sends the headers of `POST /put_file` or a batch, then part of the body or
// nothing) is under the same idle limit as a streamed upload: after `bodyIdleTimeoutMs` without a byte it is answered
// 408 with the usual JSON error and its connection closed. Other requests are served meanwhile, a drain is not held
// by it, and a body that keeps coming (slower than the limit between bytes) is not cut.
import { afterEach, describe, expect, it } from '@jest/globals';
import { client, fileRecord } from './helpers/records.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { startServer, type TestServer } from './helpers/server.js';

const IDLE_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a JSON body that stalls', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Sends the headers of a JSON request announcing `body.length + missing` bytes, and `body`. */
  async function stalled(path: string, body: string, missing = 10): Promise<RawConnection> {
    const connection = await RawConnection.open(server!.url);
    await connection.write(
      rawRequest('POST', path, {
        'X-API-Key': server!.key,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body) + missing,
      }) + body,
    );
    return connection;
  }

  it('POST /put_file, POST /put_files and a body never sent: 408 JSON error after the idle time, then closed', async () => {
    server = await startServer({ bodyIdleTimeoutMs: IDLE_MS });
    const record = JSON.stringify(fileRecord({ hostname: 'idle', filepath: '/a' }));
    const started = Date.now();
    const connections = await Promise.all([
      stalled('/put_file', record.slice(0, 40)),
      stalled('/put_files', `{"files":[${record}`),
      stalled('/put_file', ''),
    ]);
    // Others are served meanwhile.
    const other = await client(server.url, server.key).call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'idle', filepath: '/b' }),
    );
    expect(other.status).toBe(201);
    for (const connection of connections) {
      const answer = await connection.response({ timeoutMs: IDLE_MS + 5000 });
      expect(answer?.status).toBe(408);
      expect(answer?.headers.connection).toBe('close');
      expect(JSON.parse(answer!.body)).toEqual({
        detail: expect.stringMatching(/^no byte of the request body arrived for 1\.5 s \(bodyIdleTimeoutMs\)/),
        code: 'TIMEOUT',
        retryable: true,
      });
      // Closed once answered, not after a lingering wait for the rest of the body.
      expect(await connection.closedWithin(1000)).toBe(true);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(elapsed).toBeLessThan(IDLE_MS + 3000);
    // Nothing of the stalled requests was stored.
    const listed = await client(server.url, server.key).call('GET', '/files?hostname=idle');
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('"/b"');
    expect(listed.text).not.toContain('"/a"');
  }, 30_000);

  it('a body that keeps coming, a byte more often than the idle time, is not cut', async () => {
    server = await startServer({ bodyIdleTimeoutMs: IDLE_MS });
    const body = JSON.stringify(fileRecord({ hostname: 'idle', filepath: '/slow' }));
    const connection = await RawConnection.open(server.url);
    await connection.write(
      rawRequest('POST', '/put_file', {
        'X-API-Key': server.key,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      }),
    );
    const started = Date.now();
    const step = Math.ceil(body.length / 8);
    for (let i = 0; i < body.length; i += step) {
      await sleep(IDLE_MS / 3);
      await connection.write(body.slice(i, i + step));
    }
    expect(Date.now() - started).toBeGreaterThan(IDLE_MS * 2);
    const answer = await connection.response({ timeoutMs: 10_000 });
    expect(answer?.status).toBe(201);
    // Kept alive: the next request on the connection is served.
    await connection.write(rawRequest('GET', '/health/live'));
    expect((await connection.response())?.status).toBe(200);
    connection.close();
  }, 30_000);

  it('does not hold the drain: the app closes within the idle time, not the shutdown timeout', async () => {
    server = await startServer({ bodyIdleTimeoutMs: IDLE_MS, shutdownTimeoutMs: 20_000, shutdownSignals: false });
    const connection = await stalled('/put_file', '{"hostname":');
    await sleep(200);
    const started = Date.now();
    await server.app.close();
    expect(Date.now() - started).toBeLessThan(IDLE_MS + 2000);
    expect(await connection.closedWithin(1000)).toBe(true);
  }, 30_000);
});
