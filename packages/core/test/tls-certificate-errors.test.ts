// A TLS certificate failure (self-signed, unknown issuer, wrong host name, expired, …) reached through fetch was
// reported as fetch's wrapper, "fetch failed" (UNEXPECTED): the certificate code sits in the cause chain. It is now
// UNAVAILABLE, not retryable (it fails the same way until the certificate or the trust changes), naming the problem
// and, where the caller says it (fetch's error does not), the server. A real self-signed node:https server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tlsCertificateError, toUfsError } from '../src/index.js';

let dir: string;
let server: Server;
let port: number;
let cert: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ufs-core-tls-'));
  const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]),
    { stdio: 'ignore' },
  );
  cert = readFileSync(certFile);
  server = createServer({ key: readFileSync(keyFile), cert }, (_req, res) => res.end('secure'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A GET with node:https (optionally trusting the certificate), settling with the error it fails with. */
function httpsError(options: { ca?: Buffer; servername?: string }): Promise<unknown> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', ...options }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('error', resolve);
    req.end();
  });
}

describe('TLS certificate failures (real self-signed server)', () => {
  it('through fetch: UNAVAILABLE, not retryable, naming the problem, never "fetch failed"', async () => {
    const err = await fetch(`https://127.0.0.1:${port}/x`).catch((e: unknown) => e);
    expect((err as Error).message).toBe('fetch failed');
    const error = toUfsError(err, { backend: 'web', operation: 'read', path: 'a.txt' });
    expect(error.message).toBe(
      '[ufs] [web] read "a.txt": TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT): a private CA can be ' +
        'trusted with NODE_EXTRA_CA_CERTS',
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: false, cause: err });
  });

  it('names the server the caller connected to', async () => {
    const err = await fetch(`https://127.0.0.1:${port}/`).catch((e: unknown) => e);
    const error = tlsCertificateError(err, { provider: 'p', operation: 'upload' }, `127.0.0.1:${port}`);
    expect(error?.message).toBe(
      `[ufs] [p] upload: TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) from 127.0.0.1:${port}: ` +
        'a private CA can be trusted with NODE_EXTRA_CA_CERTS',
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
  });

  it('a trusted certificate for another host name: ERR_TLS_CERT_ALTNAME_INVALID, with Node’s reason', async () => {
    const err = await httpsError({ ca: cert });
    expect((err as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const error = toUfsError(err, { operation: 'stat' });
    expect(error.message).toMatch(
      /^\[ufs\] stat: TLS: Hostname\/IP does not match certificate's altnames: .*127\.0\.0\.1/,
    );
    expect(error.message).toContain('(ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(error.message).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
  });

  it('the same certificate trusted and for the right name is no error at all', async () => {
    expect(await httpsError({ ca: cert, servername: 'localhost' })).toBe(undefined);
  });

  it('other codes under any wrapper; other errors are not TLS ones', () => {
    const expired = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    const wrapped = new Error('outer', { cause: new TypeError('fetch failed', { cause: expired }) });
    expect(toUfsError(wrapped).message).toBe('[ufs] TLS: certificate has expired (CERT_HAS_EXPIRED)');
    expect(toUfsError(wrapped).retryable).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(tlsCertificateError(refused)).toBeUndefined();
    expect(tlsCertificateError(new Error('fetch failed'))).toBeUndefined();
    expect(tlsCertificateError(undefined)).toBeUndefined();
  });
});
