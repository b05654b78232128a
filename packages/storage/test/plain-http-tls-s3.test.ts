// An s3 mount whose `endpoint` (or AWS_ENDPOINT_URL_S3) is `https://` on radosgw's plain-HTTP port: CONFIG_INVALID
// "the server does not speak TLS (HTTPS) at …: try endpoint: http://…", not retried (a counting TCP proxy in front
// of radosgw sees one connection per operation), instead of OpenSSL's raw `wrong version number` (UNEXPECTED). The
// same mount with http:// works. The other backends: plain-http-tls.test.ts.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import definition from '../src/backends/s3/index.js';
import { readAll, rejectsWith } from './helpers.js';
import { createBucket, rawClient, removeBucket, s3Endpoint, type S3TestEndpoint } from './services/s3.js';

const RAW_TLS = /wrong version number|packet length too long|ssl3_get_record|EPROTO/;
const BUCKET = `plain-tls-${Date.now().toString(36)}`;

let s3: S3TestEndpoint;
let proxy: { server: Server; port: number; connections: number; sockets: Set<Socket> };
const opened: StorageBackend[] = [];

beforeAll(async () => {
  s3 = await s3Endpoint();
  await createBucket(rawClient(s3), BUCKET);
  // Forwards every connection to radosgw, counting them.
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    proxy.connections++;
    const upstream = connect(Number(new URL(s3.endpoint).port), '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = { server, port: (server.address() as { port: number }).port, connections: 0, sockets };
});

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  for (const socket of proxy?.sockets ?? []) socket.destroy();
  await new Promise((resolve) => proxy?.server.close(resolve));
  await removeBucket(rawClient(s3), BUCKET).catch(() => undefined);
  await s3?.stop();
});

async function mount(extra: Record<string, unknown>, env: Record<string, string> = {}): Promise<StorageBackend> {
  const options = definition.options.parse({
    bucket: BUCKET,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    versioning: false,
    ...extra,
  });
  const backend = await definition.create(options, { mountName: 's3x', env });
  opened.push(backend);
  return backend;
}

const https = (url: string) => url.replace(/^http:/, 'https:');

function operations(backend: StorageBackend): Array<[string, () => Promise<unknown>]> {
  return [
    ['stat', () => backend.stat('a.txt')],
    ['read', async () => readAll(await backend.read('a.txt'))],
    ['list', () => backend.list('')],
    ['write', () => backend.write('b.txt', Readable.from([Buffer.from('hello')]))],
    ['delete', () => backend.delete('b.txt')],
  ];
}

describe('s3 with an https:// endpoint on radosgw’s plain port', () => {
  it('is CONFIG_INVALID naming the endpoint and `endpoint: http://…`, for every operation, not retryable', async () => {
    const endpoint = https(s3.endpoint);
    const backend = await mount({ endpoint });
    for (const [operation, run] of operations(backend)) {
      const error = await rejectsWith(run(), 'CONFIG_INVALID');
      expect(error.message).toMatch(new RegExp(`^\\[ufs\\] \\[s3\\] ${operation} "s3x:[a-z.]*": `));
      // The stable parts (the words between them may change).
      expect(error.message).toContain(`does not speak TLS (HTTPS) at ${endpoint}`);
      expect(error.message).toMatch(new RegExp(`endpoint: ${s3.endpoint.replace(/\./g, '\\.')}\\b`));
      expect(error.message).not.toMatch(RAW_TLS);
      expect(error.message).not.toContain(s3.secretAccessKey);
      expect(error.retryable).toBe(false);
      expect(error.context).toMatchObject({ backend: 's3', mount: 's3x', operation, bucket: BUCKET });
    }
  });

  it('makes one connection per operation: neither the SDK nor the backend tries again', async () => {
    const backend = await mount({ endpoint: `https://127.0.0.1:${proxy.port}`, maxAttempts: 3 });
    for (const [operation, run] of operations(backend)) {
      proxy.connections = 0;
      await rejectsWith(run(), 'CONFIG_INVALID');
      expect([operation, proxy.connections]).toEqual([operation, 1]);
    }
  });

  it('names AWS_ENDPOINT_URL_S3 when the endpoint came from the environment', async () => {
    const backend = await mount({}, { AWS_ENDPOINT_URL_S3: https(s3.endpoint) });
    const error = await rejectsWith(backend.stat('a.txt'), 'CONFIG_INVALID');
    expect(error.message).toContain(`does not speak TLS (HTTPS) at ${https(s3.endpoint)}`);
    expect(error.message).toMatch(new RegExp(`AWS_ENDPOINT_URL_S3=${s3.endpoint.replace(/\./g, '\\.')}\\b`));
  });

  it('never shows user info given in the endpoint', async () => {
    const endpoint = https(s3.endpoint).replace('//', '//someone:pw-secret@');
    const error = await rejectsWith((await mount({ endpoint })).stat('a.txt'), 'CONFIG_INVALID');
    expect(error.message).not.toMatch(/someone|pw-secret/);
    expect(error.message).toContain(`does not speak TLS (HTTPS) at ${https(s3.endpoint)}`);
  });

  it('the same mount with the http:// endpoint works', async () => {
    const backend = await mount({ endpoint: s3.endpoint });
    await backend.write('ok.txt', Readable.from([Buffer.from('fine')]));
    expect((await readAll(await backend.read('ok.txt'))).toString()).toBe('fine');
  });
});
