// A real TLS failure on an `http` or `dropbox` mount (their requests go through fetch) said only "fetch failed"
// (UNEXPECTED), while the other backends named the certificate problem. Against a real self-signed node:https server
// both now say `TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) from 127.0.0.1:PORT`: UNAVAILABLE, not
// retryable (it fails the same way until the certificate or the trust changes).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let server: Server;
let port: number;
let requests = 0;
let cleanup: () => Promise<void>;
const storage = new StorageManager();

beforeAll(async () => {
  const dir = await tempDir('ufs-tls-cert-');
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
  server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    requests++;
    req.resume().on('end', () => res.end('never read'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  await storage.configure([
    { name: 'web', protocol: 'http', baseUrl: `https://127.0.0.1:${port}/files/?token=tok-secret` },
    { name: 'box', protocol: 'dropbox', accessToken: 'tok-secret', apiBaseUrl: `https://127.0.0.1:${port}` },
  ]);
});

afterAll(async () => {
  await storage.dispose();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await cleanup?.();
});

describe.each([
  ['http', 'web'],
  ['dropbox', 'box'],
])('a %s mount on a server with a self-signed certificate', (protocol, mount) => {
  it('names the TLS problem and the server: UNAVAILABLE, not retryable', async () => {
    for (const [operation, run] of [
      ['stat', () => storage.node(`${mount}:a.txt`).stat()],
      ['read', () => storage.node(`${mount}:a.txt`).readText()],
    ] as const) {
      const error = await rejectsWith(run(), 'UNAVAILABLE');
      expect(error.message).toMatch(new RegExp(`^\\[ufs\\] \\[${protocol}\\] ${operation} "${mount}:a\\.txt": `));
      expect(error.message).toContain(
        `TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) from 127.0.0.1:${port}`,
      );
      expect(error.message).not.toContain('fetch failed');
      expect(error.message).not.toContain('secret');
      expect(error.retryable).toBe(false);
    }
    // The handshake failed: no request ever got through.
    expect(requests).toBe(0);
  });
});
