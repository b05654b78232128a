// `ufs upload -p s3` of a multipart file whose one part meets a reset (a proxy on 127.0.0.1 in front of the real
// radosgw resets the connection in the middle of that part's body). With the SDK's retries off, lib-storage failed
// the whole upload and the orchestrator sent the file again from byte 0. Now the SDK sends that part again alone; a
// part that keeps failing still fails the upload (the orchestrator's retry), named as a reset, not "timed out".
import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isUfsError } from '@org/core';
import { uploadFile, type ProviderReport, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, radosgw, s3ProviderEnv } from './fakes/s3-harness.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;
let dir: string;
let cleanup: () => Promise<void>;
let proxy: ResettingProxy;

interface ResettingProxy {
  url: string;
  /** Body bytes forwarded to the server, by request (`PUT /bucket/key?…partNumber=2…`). */
  forwarded: Map<string, number>;
  /** Requests seen, as `METHOD path`. */
  seen: string[];
  /** How many more times a part numbered `part` is reset mid-body. */
  resets: { part: number; left: number };
  close(): Promise<void>;
}

/**
 * Forwards to radosgw (Host included: signatures stay valid); an UploadPart numbered `resets.part` is reset after
 * 1 MiB of its body while `resets.left` > 0 (the server sees an incomplete part, the client a reset).
 */
async function resettingProxy(target: string): Promise<ResettingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const forwarded = new Map<string, number>();
  const seen: string[] = [];
  const resets = { part: 0, left: 0 };
  const server: Server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    seen.push(line);
    const part = /[?&]partNumber=(\d+)/.exec(req.url ?? '')?.[1];
    const reset = req.method === 'PUT' && Number(part) === resets.part && resets.left > 0;
    if (reset) resets.left--;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (reset && received > MiB) {
        forward.destroy();
        req.socket.resetAndDestroy();
        return;
      }
      forwarded.set(line, (forwarded.get(line) ?? 0) + chunk.length);
      forward.write(chunk);
    });
    req.on('end', () => forward.end());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    seen,
    resets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

beforeAll(async () => {
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
  ({ dir, cleanup } = await tempDir());
  proxy = await resettingProxy(radosgw().endpoint);
});
afterAll(async () => {
  await proxy.close();
  await removeBucket();
  admin.destroy();
  await cleanup();
});

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['s3'],
  env: { ...s3ProviderEnv(bucket, proxy.url), AWS_S3_PATH_STYLE: 'true' },
  retry: FAST_RETRY,
  verify: false,
  providerOptions: { s3: { partSize: PART, queueSize: 1 } },
  ...extra,
});

/** Body bytes forwarded for requests whose line matches. */
function sent(match: (line: string) => boolean): number {
  let total = 0;
  for (const [line, bytes] of proxy.forwarded) if (match(line)) total += bytes;
  return total;
}

describe('s3 multipart upload with a reset part (radosgw behind a proxy)', () => {
  it('one reset on one part: only that part is sent again, the file is stored whole', async () => {
    const file = await randomFile(dir, 'parts.bin', 3 * PART + 1234);
    proxy.forwarded.clear();
    proxy.seen.length = 0;
    Object.assign(proxy.resets, { part: 2, left: 1 });
    const result = await uploadFile(file.path, opts());
    expect(proxy.resets.left).toBe(0);
    expect(result.report.find((r) => r.provider === 's3')).toMatchObject({ outcome: 'success', attempts: 1 });
    // One multipart upload, not two; parts 1, 3 and 4 forwarded once, part 2 once whole after at most 1 MiB cut off.
    expect(proxy.seen.filter((line) => /^POST .*[?&]uploads(=|&|$)/.test(line))).toHaveLength(1);
    expect(sent((line) => /[?&]partNumber=[134](&|$)/.test(line))).toBe(2 * PART + 1234);
    const part2 = sent((line) => /[?&]partNumber=2(&|$)/.test(line));
    expect(part2).toBeGreaterThan(PART);
    expect(part2).toBeLessThanOrEqual(PART + MiB);
    expect(proxy.seen.filter((line) => /[?&]partNumber=2(&|$)/.test(line))).toHaveLength(2);
    expect(proxy.seen.filter((line) => /[?&]partNumber=1(&|$)/.test(line))).toHaveLength(1);
    const stored = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'parts.bin' }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(file.bytes)).toBe(true);
  });

  it('a part that keeps failing fails the upload, named as a reset (not "timed out"), retried by the orchestrator', async () => {
    const file = await randomFile(dir, 'broken.bin', 2 * PART + 10);
    Object.assign(proxy.resets, { part: 2, left: 1000 });
    const failure = await uploadFile(file.path, opts({ maxAttempts: 2 })).then(
      () => undefined,
      (err: unknown) => err,
    );
    Object.assign(proxy.resets, { part: 0, left: 0 });
    expect(isUfsError(failure)).toBe(true);
    const { failures } = (failure as { context: { failures: ProviderReport[] } }).context;
    const s3 = failures.find((r) => r.provider === 's3');
    expect(s3).toMatchObject({ outcome: 'failed', attempts: 2, code: 'UNAVAILABLE', retryable: true });
    expect(s3?.reason).toMatch(/connection reset by peer/);
    expect((failure as Error).message).not.toMatch(/timed out/);
    expect(failure).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });
});
