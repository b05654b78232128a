import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { ufsFailure } from '@org/core/testing';
import { uploadFile } from '../src/index.js';
import { adminClient, freshBucket, radosgw, s3ProviderEnv } from './fakes/s3-harness.js';
import { plainHttpOptions, plainHttpServer, type PlainHttpServer } from './fakes/plain-http.js';
import { startUfsServer, type UfsServer } from './fakes/ufs-server.js';
import { randomFile, tempDir } from './helpers.js';

// An `https://` address typed for a server that speaks plain HTTP (a `ufs serve` on http, radosgw's plain port, a
// hosting service's base URL): the providers say so (CONFIG_INVALID, not retried, the next provider is tried), not
// OpenSSL's `wrong version number`. Real servers: an in-process ufs server, the radosgw of the run, a local HTTP
// server answering as temp.sh/catbox do.
let server: UfsServer;
let hosting: PlainHttpServer;
let hostingBase: string;
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;
let dir: string;
let cleanup: () => Promise<void>;

const https = (url: string) => url.replace(/^http:/, 'https:');
const RAW_TLS = /wrong version number|packet length too long|ssl3_get_record|EPROTO/;

beforeAll(async () => {
  server = await startUfsServer();
  hosting = await plainHttpServer((url) => `${url}/f/took-it\n`);
  hostingBase = hosting.url;
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
  ({ dir, cleanup } = await tempDir('ufs-plain-http-'));
});
afterAll(async () => {
  await hosting?.close();
  await server?.close();
  await removeBucket?.();
  admin?.destroy();
  await cleanup?.();
});

const opts = plainHttpOptions;

describe('an https:// address of a plain-HTTP server', () => {
  it('ufs: CONFIG_INVALID naming the address and its http:// form, not retried, and the next provider takes the file', async () => {
    const file = await randomFile(dir, 'to-ufs.bin', 2000);
    const address = https(server.url);
    const result = await uploadFile(
      file.path,
      opts({
        providers: ['ufs', 'tempsh'],
        env: { UFS_SERVER: address, UFS_API_KEY: server.apiKey, UFS_TEMPSH_URL: hostingBase },
        providerOptions: { ufs: { hostname: 'tls-host' } },
      }),
    );
    expect(result.provider).toBe('tempsh');
    const [ufs] = result.report;
    expect(ufs).toMatchObject({ provider: 'ufs', outcome: 'failed', attempts: 1, code: 'CONFIG_INVALID' });
    expect(ufs!.retryable).toBe(false);
    expect(ufs!.reason).toBe(
      `[ufs] [ufs] upload (content check) "to-ufs.bin": the server does not speak TLS (HTTPS) at ${address} (it answers without TLS): if it serves plain HTTP, give its URL as ${server.url}`,
    );
    expect(ufs!.reason).not.toMatch(RAW_TLS);
  });

  it('ufs alone: the upload fails with that code (exit 78 in the CLI)', async () => {
    const file = await randomFile(dir, 'only-ufs.bin', 500);
    const error = await ufsFailure(
      uploadFile(
        file.path,
        opts({ providers: ['ufs'], env: { UFS_SERVER: https(server.url), UFS_API_KEY: server.apiKey } }),
      ),
    );
    expect([error.code, error.retryable]).toEqual(['CONFIG_INVALID', false]);
    expect(error.message).toMatch(/does not speak TLS \(HTTPS\).*give its URL as http:\/\/127\.0\.0\.1:\d+$/m);
    expect(error.message).not.toMatch(RAW_TLS);
  });

  it('a hosting service (temp.sh raw PUT, catbox multipart): the same', async () => {
    const file = await randomFile(dir, 'to-host.bin', 3000);
    for (const [id, variable] of [
      ['tempsh', 'UFS_TEMPSH_URL'],
      ['catbox', 'UFS_CATBOX_URL'],
    ] as const) {
      const error = await ufsFailure(
        uploadFile(file.path, opts({ providers: [id], env: { [variable]: https(hostingBase) } })),
      );
      expect([error.code, error.retryable]).toEqual(['CONFIG_INVALID', false]);
      expect(error.context.failures).toEqual([expect.objectContaining({ provider: id, attempts: 1 })]);
      expect(error.message).toContain(
        `the server does not speak TLS (HTTPS) at ${https(hostingBase)} (it answers without TLS): if it serves plain HTTP, give its URL as ${hostingBase}`,
      );
      expect(error.message).not.toMatch(RAW_TLS);
    }
  });

  it('s3: an https:// endpoint on radosgw’s plain port is CONFIG_INVALID, not retried; http:// works', async () => {
    const file = await randomFile(dir, 'to-s3.bin', 1500);
    const endpoint = https(radosgw().endpoint);
    const error = await ufsFailure(
      uploadFile(file.path, opts({ providers: ['s3'], env: s3ProviderEnv(bucket, endpoint) })),
    );
    expect([error.code, error.retryable]).toEqual(['CONFIG_INVALID', false]);
    expect(error.context.failures).toEqual([expect.objectContaining({ provider: 's3', attempts: 1 })]);
    expect(error.message).toContain(
      `the server does not speak TLS (HTTPS) at ${new URL(endpoint).origin} (it answers without TLS): if it serves plain HTTP, give its URL as ${new URL(radosgw().endpoint).origin}`,
    );
    expect(error.message).not.toMatch(RAW_TLS);

    const ok = await uploadFile(file.path, opts({ providers: ['s3'], env: s3ProviderEnv(bucket), verify: true }));
    expect(ok.verified).toBe(true);
  });
});
