// An `https://` address typed for a server that speaks plain HTTP: every backend that talks HTTP(S) to a configured
// address (WebDAV `url`, HTTP `baseUrl`, Azure `endpoint`, GCS `apiEndpoint`, Dropbox `apiBaseUrl`) reports
// CONFIG_INVALID naming the address and the option to change, not retried, instead of OpenSSL's raw `wrong version
// number`. A real plain node:http server (counting its connections) and a real TLS server with a self-signed
// certificate (which must not be mistaken for a plain one). S3 `endpoint` against radosgw: plain-http-tls-s3.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend, UfsError } from '@org/core';
import type { BackendDefinition } from '../src/backend-definition.js';
import azure from '../src/backends/azure/index.js';
import dropbox from '../src/backends/dropbox/index.js';
import gcs from '../src/backends/gcs/index.js';
import http from '../src/backends/http/index.js';
import webdav from '../src/backends/webdav/index.js';
import { readAll, rejectsWith, tempDir } from './helpers.js';

const RAW_TLS = /wrong version number|packet length too long|ssl3_get_record|EPROTO/;
const AZURITE_KEY = Buffer.from('not-a-real-key').toString('base64');

interface Counted {
  server: Server;
  port: number;
  connections: number;
}

async function listen(server: Server): Promise<Counted> {
  const counted = { server, port: 0, connections: 0 };
  server.on('connection', () => counted.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counted.port = (server.address() as { port: number }).port;
  return counted;
}

async function close(counted: Counted | undefined): Promise<void> {
  if (!counted) return;
  counted.server.closeAllConnections();
  await new Promise((resolve) => counted.server.close(resolve));
}

let plain: Counted;
let tls: Counted;
let cleanup: () => Promise<void>;
const opened: StorageBackend[] = [];

beforeAll(async () => {
  // Answers anything (a file's bytes): were a request to reach it, it would succeed.
  plain = await listen(createServer((req, res) => req.resume().on('end', () => res.end('plain bytes'))));
  const dir = await tempDir('ufs-tls-');
  cleanup = dir.cleanup;
  const [key, cert] = [join(dir.path, 'key.pem'), join(dir.path, 'cert.pem')];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  tls = await listen(
    createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) =>
      req.resume().on('end', () => res.end('tls bytes')),
    ),
  );
});

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await close(plain);
  await close(tls);
  await cleanup?.();
});

async function mount(definition: BackendDefinition, raw: Record<string, unknown>): Promise<StorageBackend> {
  const backend = await definition.create(definition.options.parse(raw), { mountName: 'm', env: {} });
  opened.push(backend);
  return backend;
}

/** Each backend, given the https:// form of a server's origin. */
const backends: Array<[string, string, (origin: string) => Promise<StorageBackend>]> = [
  ['webdav', 'url', (origin) => mount(webdav, { url: `${origin}/dav`, username: 'u', password: 'pw-secret' })],
  ['http', 'baseUrl', (origin) => mount(http, { baseUrl: `${origin}/files/?token=tok-secret` })],
  [
    'azure',
    'endpoint',
    (origin) =>
      mount(azure, { accountName: 'acct', accountKey: AZURITE_KEY, endpoint: `${origin}/acct`, container: 'box' }),
  ],
  ['gcs', 'apiEndpoint', (origin) => mount(gcs, { bucket: 'bkt', apiEndpoint: origin, projectId: 'p' })],
  ['dropbox', 'apiBaseUrl', (origin) => mount(dropbox, { accessToken: 'tok-secret', apiBaseUrl: origin })],
];

/**
 * The GCS SDK itself tries a request that got no answer 3 more times (retry-request's `noResponseRetries`, whatever the
 * error, with back-off: about 15 s), before the backend sees the error: its mount is tried with one operation.
 */
const SDK_TRIES: Record<string, number> = { gcs: 4 };

/** The operations tried on each mount: reads, and a write where the backend writes. */
function operations(backend: StorageBackend): Array<[string, () => Promise<unknown>]> {
  const ops: Array<[string, () => Promise<unknown>]> = [['stat', () => backend.stat('a.txt')]];
  if (backend.protocol === 'gcs') return ops;
  ops.push(['read', async () => readAll(await backend.read('a.txt'))]);
  if (backend.capabilities.list) ops.push(['list', () => backend.list('')]);
  if (backend.capabilities.write) {
    ops.push(['write', () => backend.write('b.txt', Readable.from([Buffer.from('hello')]))]);
  }
  return ops;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(backends)('%s with an https:// %s on a plain-HTTP server', (protocol, option, open) => {
  let backend: StorageBackend;
  let https: string;
  beforeAll(async () => {
    https = `https://127.0.0.1:${plain.port}`;
    backend = await open(https);
  });
  beforeEach(() => {
    plain.connections = 0;
  });

  it('is CONFIG_INVALID naming the address and its http:// form under the option, not retried', async () => {
    for (const [operation, run] of operations(backend)) {
      plain.connections = 0;
      const error: UfsError = await rejectsWith(run(), 'CONFIG_INVALID');
      // The stable parts (the sentence between them may change wording).
      expect(error.message).toMatch(new RegExp(`^\\[ufs\\] \\[${protocol}\\] ${operation} "m:[a-z.]*": `));
      expect(error.message).toContain(`does not speak TLS (HTTPS) at ${https}`);
      expect(error.message).toMatch(new RegExp(`${escape(option)}: http://127\\.0\\.0\\.1:${plain.port}\\b`));
      expect(error.message).not.toMatch(RAW_TLS);
      expect(error.message).not.toContain('secret');
      expect(error.retryable).toBe(false);
      // One connection: the handshake that got a plain-HTTP answer, never tried again by the backend.
      expect([operation, plain.connections]).toEqual([operation, SDK_TRIES[protocol] ?? 1]);
    }
  });
});

describe.each(backends)('%s with an https:// %s on a TLS server (self-signed)', (protocol, _option, open) => {
  it('is not reported as a server without TLS', async () => {
    const backend = await open(`https://127.0.0.1:${tls.port}`);
    tls.connections = 0;
    let error: unknown;
    try {
      await backend.stat('a.txt');
    } catch (err) {
      error = err;
    }
    expect(error).toBeDefined();
    const message = (error as Error).message;
    expect(message).not.toMatch(/does not speak TLS/);
    expect(message).toMatch(new RegExp(`^\\[ufs\\] \\[${protocol}\\] stat "m:a\\.txt": `));
    expect((error as UfsError).code).not.toBe('CONFIG_INVALID');
    expect(tls.connections).toBeGreaterThan(0);
  });
});

describe('azure given its address in a connection string or a SAS URL', () => {
  it('names connectionString (never its key) and the http:// BlobEndpoint to give', async () => {
    const endpoint = `https://127.0.0.1:${plain.port}/acct`;
    const connectionString = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
    const backend = await mount(azure, { connectionString, container: 'box' });
    plain.connections = 0;
    const error = await rejectsWith(backend.stat('a.txt'), 'CONFIG_INVALID');
    expect(error.message).toContain(`does not speak TLS (HTTPS) at ${endpoint}`);
    expect(error.message).toContain(`BlobEndpoint=http://127.0.0.1:${plain.port}/acct`);
    expect(error.message).toContain('connectionString');
    expect(error.message).not.toContain(AZURITE_KEY);
    expect([error.retryable, plain.connections]).toEqual([false, 1]);
  });

  it('names sasUrl without its SAS query', async () => {
    const sasUrl = `https://127.0.0.1:${plain.port}/acct/box?sv=2024-01-01&sig=sig-secret`;
    const backend = await mount(azure, { sasUrl, container: 'box' });
    const error = await rejectsWith(backend.stat('a.txt'), 'CONFIG_INVALID');
    expect(error.message).toContain(`does not speak TLS (HTTPS) at https://127.0.0.1:${plain.port}/acct/box`);
    expect(error.message).toMatch(new RegExp(`sasUrl as http://127\\.0\\.0\\.1:${plain.port}/acct/box\\b`));
    expect(error.message).not.toMatch(/secret|sv=/);
  });
});
