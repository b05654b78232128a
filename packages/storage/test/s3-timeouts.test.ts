// The s3 backend's connect and idle timeouts: against real TCP servers on 127.0.0.1 that accept a connection and
// never answer (or answer the headers and stall in the body), operations fail with TIMEOUT instead of hanging, and
// opening a mount with `versioning: 'auto'` does not hang either. One round trip against radosgw shows the defaults
// leave normal operations alone.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError, type StorageBackend } from '@org/core';
import definition from '../src/backends/s3/index.js';
import { s3Client } from '../src/backends/s3/client.js';
import { s3Error } from '../src/backends/s3/errors.js';
import { readAll, rejectsWith } from './helpers.js';
import { blackhole, settlesWithin, type TcpFault } from './net-faults.js';
import { createBucket, rawClient, removeBucket, s3Endpoint } from './services/s3.js';

const opened: StorageBackend[] = [];

async function mount(endpoint: string, extra: Record<string, unknown> = {}): Promise<StorageBackend> {
  const options = definition.options.parse({
    bucket: 'silent',
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'key',
    secretAccessKey: 'secret',
    timeoutMs: 300,
    maxAttempts: 1,
    versioning: false,
    ...extra,
  });
  const backend = await definition.create(options, { mountName: 't', env: {} });
  opened.push(backend);
  return backend;
}

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
});

describe('s3 against a server that never answers', () => {
  let silent: TcpFault;
  let backend: StorageBackend;
  const idle = (op: string, path: string) =>
    new RegExp(
      `^\\[ufs\\] \\[s3\\] ${op} "t:${path}": no answer from ${silent.endpoint.replace(/\./g, '\\.')} for 300 ms \\(timeoutMs\\)$`,
    );

  beforeAll(async () => {
    silent = await blackhole();
    backend = await mount(silent.endpoint);
  });
  afterAll(() => silent.close());

  it('stat fails with TIMEOUT naming timeoutMs', async () => {
    const pending = backend.stat('a.txt');
    expect(await settlesWithin(5_000, pending)).toBeLessThan(5_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toMatch(idle('stat', 'a.txt'));
    expect(error.retryable).toBe(true);
    expect(error.context).toMatchObject({ backend: 's3', operation: 'stat', bucket: 'silent', timeout: 'timeoutMs' });
  });

  it('read fails with TIMEOUT', async () => {
    const pending = backend.read('a.txt');
    expect(await settlesWithin(5_000, pending)).toBeLessThan(5_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toMatch(idle('read', 'a.txt'));
    expect(error.retryable).toBe(true);
  });

  it('write fails with TIMEOUT', async () => {
    const pending = backend.write('b.txt', Readable.from([Buffer.from('hello')]));
    expect(await settlesWithin(5_000, pending)).toBeLessThan(5_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toMatch(idle('write', 'b.txt'));
    expect(error.retryable).toBe(true);
  });

  it("opens a mount with versioning: 'auto' as not versioned instead of hanging", async () => {
    let opening: Promise<StorageBackend> | undefined;
    const took = await settlesWithin(5_000, (opening = mount(silent.endpoint, { versioning: 'auto' })));
    expect(took).toBeLessThan(5_000);
    expect((await opening).capabilities.versioning).toBe(false);
  });
});

describe('s3 against a server that stalls in the middle of a body', () => {
  let stalling: TcpFault;

  beforeAll(async () => {
    stalling = await blackhole((socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n' +
          'ETag: "0123456789abcdef0123456789abcdef"\r\n\r\n' +
          'x'.repeat(10),
      ),
    );
  });
  afterAll(() => stalling.close());

  it('errors the read stream with TIMEOUT once no byte came for timeoutMs', async () => {
    const backend = await mount(stalling.endpoint);
    const stream = await backend.read('big.bin');
    const reading = readAll(stream);
    expect(await settlesWithin(5_000, reading)).toBeLessThan(5_000);
    const error = await rejectsWith(reading, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [s3] read "t:big.bin": no answer from ${stalling.endpoint} for 300 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
  });
});

describe('s3 timeout errors', () => {
  const where = { operation: 'stat', path: 'a.txt', bucket: 'b', mount: 'm' };
  // The text @smithy/node-http-handler gives its connection timeout (a connect that hangs cannot be made on
  // 127.0.0.1 reliably, so this mapping is checked as the pure logic it is).
  const connectFailure = Object.assign(
    new Error(
      '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 500 ms.',
    ),
    { name: 'TimeoutError' },
  );

  it('names the endpoint and connectTimeoutMs when the connection is not made in time', () => {
    const connection = { endpoint: 'http://10.255.255.1:7480', connectTimeoutMs: 500, timeoutMs: 60_000 };
    const error = s3Error(connectFailure, where, connection);
    expect(error).toBeInstanceOf(UfsError);
    expect({ code: error.code, retryable: error.retryable, message: error.message }).toEqual({
      code: 'TIMEOUT',
      retryable: true,
      message:
        '[ufs] [s3] stat "m:a.txt": could not connect to http://10.255.255.1:7480 within 500 ms (connectTimeoutMs)',
    });
  });

  it("names the client's own option for a handed-in client", () => {
    expect(s3Error(connectFailure, where).message).toBe(
      '[ufs] [s3] stat "m:a.txt": could not connect to the server within 500 ms (the client\'s connectionTimeout)',
    );
  });

  it('keeps a reset connection UNAVAILABLE although the SDK names it TimeoutError', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' });
    const error = s3Error(reset, where);
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code: 'UNAVAILABLE', retryable: true });
  });
});

describe('s3 timeout options', () => {
  const problems = (raw: Record<string, unknown>) => {
    const result = definition.options.safeParse({ bucket: 'bkt', ...raw });
    expect(result.success).toBe(false);
    return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };

  it('defaults both to 60 s, 0 turns them off, strings from URLs and ${ENV} are read', () => {
    const built = s3Client(definition.options.parse({ bucket: 'bkt', endpoint: 'http://u:p@127.0.0.1:9/' }), {});
    expect(built.connection).toEqual({
      endpoint: 'http://127.0.0.1:9',
      connectTimeoutMs: 60_000,
      timeoutMs: 60_000,
    });
    built.client.destroy();
    const off = s3Client(definition.options.parse({ bucket: 'bkt', connectTimeoutMs: 0, timeoutMs: '0' }), {});
    expect(off.connection).toMatchObject({ connectTimeoutMs: 0, timeoutMs: 0 });
    off.client.destroy();
    const fromUrl = definition.fromUrl!(new URL('s3://bkt?connectTimeoutMs=5000&timeoutMs=120000'));
    expect(definition.options.parse(fromUrl)).toMatchObject({ connectTimeoutMs: 5000, timeoutMs: 120_000 });
  });

  it('refuses negative, fractional and non-numeric values, naming the option', () => {
    expect(problems({ timeoutMs: -1 })).toBe('timeoutMs: timeoutMs must be at least 0');
    expect(problems({ connectTimeoutMs: 1.5 })).toBe('connectTimeoutMs: connectTimeoutMs must be a whole number');
    expect(problems({ timeoutMs: 'soon' })).toBe('timeoutMs: timeoutMs must be a number');
  });

  it('refuses them next to a handed-in client', () => {
    const client = new S3Client({ region: 'us-east-1' });
    try {
      expect(problems({ client, connectTimeoutMs: 1000, timeoutMs: 1000 })).toBe(
        'connectTimeoutMs: connectTimeoutMs cannot be combined with a ready client: configure the S3Client itself instead\n' +
          'timeoutMs: timeoutMs cannot be combined with a ready client: configure the S3Client itself instead',
      );
    } finally {
      client.destroy();
    }
  });
});

describe('s3 with the default timeouts against radosgw', () => {
  it('still writes and reads', async () => {
    const s3 = await s3Endpoint();
    const raw = rawClient(s3);
    const bucket = `ufs-timeouts-${randomBytes(3).toString('hex')}`;
    await createBucket(raw, bucket);
    try {
      const options = definition.options.parse({
        bucket,
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      });
      const backend = await definition.create(options, { mountName: 's3', env: {} });
      opened.push(backend);
      await backend.write('round/trip.txt', Readable.from([Buffer.from('there and back')]));
      expect((await readAll(await backend.read('round/trip.txt'))).toString()).toBe('there and back');
      expect(await backend.stat('round/trip.txt')).toMatchObject({ isFile: true, size: 14 });
    } finally {
      await removeBucket(raw, bucket);
      raw.destroy();
      await s3.stop();
    }
  });
});
