import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request, createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ufsFailure } from '@org/core/testing';
import { uploadFile, type UploadEvent, type UploadFileOptions } from '../src/index.js';
import type { FakeService } from './fakes/base.js';
import { dropboxFake } from './fakes/dropbox.js';
import { adminClient, freshBucket, radosgw } from './fakes/s3-harness.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// The SDK providers (s3, dropbox) honour `idleTimeoutMs` as the HTTP providers do: a server that stops answering
// fails TIMEOUT "no answer within … (idle timeout)" (retried), while a slow server that keeps answering does not.
const IDLE = 2000;
const MiB = 1024 * 1024;
const TOKEN = 'sl.idle-token';

interface Listening {
  url: string;
  connections: number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, counted: { connections: number }): Promise<Listening> {
  server.on('connection', (socket: Socket) => {
    counted.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return counted.connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections, reads everything and never answers. */
function silentServer(): Promise<Listening> {
  const server = createServer((socket) => {
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  return listen(server, new Set(), { connections: 0 });
}

/**
 * An HTTP proxy to `target` (Host kept, so S3 signatures stay valid): each request waits `delayMs` before it is
 * forwarded, and a request `stall` picks is read and never answered.
 */
function proxy(target: string, delayMs: number, stall: (req: IncomingMessage) => boolean = () => false) {
  const upstream = new URL(target);
  const server = createHttpServer((req, res) => {
    if (stall(req)) {
      req.on('data', () => undefined);
      return;
    }
    setTimeout(() => {
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, delayMs);
  });
  return listen(server, new Set(), { connections: 0 });
}

/** Runs an upload that must fail; its error and how long it took. */
async function timed(run: Promise<unknown>) {
  const started = Date.now();
  const error = await ufsFailure(run);
  return { error, ms: Date.now() - started };
}

const TIMEOUT_MESSAGE = /no answer within 2 s of sending the request .*\(idle timeout\)/;

let dir: string;
let cleanup: () => Promise<void>;
let silent: Listening;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  silent = await silentServer();
});
afterAll(async () => {
  await silent.close();
  await cleanup();
});

describe('s3: idle timeout', () => {
  let admin: S3Client;
  let bucket: string;
  let removeBucket: () => Promise<void>;
  const s3Env = (endpoint: string, real = true) => {
    const rgw = radosgw();
    return {
      AWS_S3_BUCKET: real ? bucket : 'b',
      AWS_ENDPOINT_URL: endpoint,
      AWS_S3_PATH_STYLE: 'true',
      AWS_DEFAULT_REGION: rgw.region,
      AWS_ACCESS_KEY_ID: real ? rgw.accessKeyId : 'x',
      AWS_SECRET_ACCESS_KEY: real ? rgw.secretAccessKey : 'y',
    };
  };
  const opts = (env: Record<string, string>, extra: UploadFileOptions = {}): UploadFileOptions => ({
    providers: ['s3'],
    env,
    retry: FAST_RETRY,
    maxAttempts: 1,
    verify: false,
    idleTimeoutMs: IDLE,
    providerOptions: { s3: { partSize: 5 * MiB } },
    ...extra,
  });

  beforeAll(async () => {
    admin = adminClient();
    ({ bucket, remove: removeBucket } = await freshBucket(admin));
  });
  afterAll(async () => {
    await removeBucket();
    admin.destroy();
  });

  it('a server that never answers: a small file fails TIMEOUT (idle timeout) within 2× the idle timeout, retried', async () => {
    const file = await randomFile(dir, 's3-small.txt', 100);
    const events: UploadEvent[] = [];
    const { error, ms } = await timed(
      uploadFile(file.path, opts(s3Env(silent.url, false), { maxAttempts: 2, onEvent: (e) => events.push(e) })),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(TIMEOUT_MESSAGE);
    expect(error.message).toMatch(/^\[ufs\] /);
    // Two attempts (the orchestrator retries it as it does the HTTP providers' TIMEOUT), each one idle timeout.
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(2 * IDLE * 0.9);
    expect(ms).toBeLessThan(2 * 2 * IDLE);
  });

  it('a server that never answers: a multipart upload fails TIMEOUT within 2× the idle timeout', async () => {
    const file = await randomFile(dir, 's3-multi.bin', 11 * MiB);
    const { error, ms } = await timed(uploadFile(file.path, opts(s3Env(silent.url, false))));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(TIMEOUT_MESSAGE);
    expect(ms).toBeGreaterThanOrEqual(IDLE * 0.9);
    expect(ms).toBeLessThan(2 * IDLE);
  });

  it('a multipart upload whose second part is never answered fails TIMEOUT; the upload is aborted', async () => {
    const file = await randomFile(dir, 's3-stalled-part.bin', 11 * MiB);
    const stalling = await proxy(radosgw().endpoint, 0, (req) => /[?&]partNumber=2(&|$)/.test(req.url ?? ''));
    try {
      const { error, ms } = await timed(uploadFile(file.path, opts(s3Env(stalling.url))));
      expect(error.code).toBe('TIMEOUT');
      expect(error.message).toMatch(TIMEOUT_MESSAGE);
      expect(ms).toBeLessThan(2 * IDLE);
      await expect(admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 's3-stalled-part.bin' }))).rejects.toThrow();
    } finally {
      await stalling.close();
    }
  });

  it('a slow server that keeps answering: an upload longer than the idle timeout succeeds', async () => {
    const file = await randomFile(dir, 's3-slow.bin', 11 * MiB);
    const slow = await proxy(radosgw().endpoint, IDLE * 0.5);
    try {
      const started = Date.now();
      const result = await uploadFile(file.path, opts(s3Env(slow.url), { verify: true }));
      expect(Date.now() - started).toBeGreaterThan(IDLE);
      expect(result.verified).toBe(true);
    } finally {
      await slow.close();
    }
  });
});

describe('dropbox: idle timeout', () => {
  let fake: FakeService;
  const opts = (url: string, dropbox: Record<string, unknown> = {}, extra: UploadFileOptions = {}) => ({
    providers: ['dropbox'],
    env: { UFS_DROPBOX_URL: url, DROPBOX_ACCESS_TOKEN: TOKEN },
    retry: FAST_RETRY,
    maxAttempts: 1,
    verify: false,
    idleTimeoutMs: IDLE,
    providerOptions: { dropbox },
    ...extra,
  });

  beforeAll(async () => {
    fake = await dropboxFake({ accessToken: TOKEN }).start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(() => fake.reset());

  it('a server that never answers: files/upload fails TIMEOUT (idle timeout) within 2× the idle timeout', async () => {
    const file = await randomFile(dir, 'dbx-small.txt', 100);
    const { error, ms } = await timed(uploadFile(file.path, opts(silent.url)));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(TIMEOUT_MESSAGE);
    expect(error.retryable).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(IDLE * 0.9);
    expect(ms).toBeLessThan(2 * IDLE);
  });

  it('a server that never answers: an upload session fails TIMEOUT within 2× the idle timeout', async () => {
    const file = await randomFile(dir, 'dbx-session.bin', 3 * MiB);
    const { error, ms } = await timed(
      uploadFile(file.path, opts(silent.url, { sessionThreshold: MiB, chunkSize: MiB })),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(TIMEOUT_MESSAGE);
    expect(ms).toBeLessThan(2 * IDLE);
  });

  it('a slow server that keeps answering: a session upload longer than the idle timeout succeeds', async () => {
    const file = await randomFile(dir, 'dbx-slow.bin', 3 * MiB);
    const slow = await proxy(fake.url, IDLE * 0.5);
    try {
      const started = Date.now();
      const result = await uploadFile(
        file.path,
        opts(slow.url, { sessionThreshold: MiB, chunkSize: MiB }, { verify: true }),
      );
      expect(Date.now() - started).toBeGreaterThan(IDLE);
      expect(result.verified).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
