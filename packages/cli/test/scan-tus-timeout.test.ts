import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan --timeout` bounds its resumable (tus) uploads too: a server that takes the records and the upload's
// creation, then never answers the PATCH, stops the scan with TIMEOUT (75) after --timeout seconds, with the summary,
// instead of waiting for ever. A real `ufs serve` behind a node:http proxy that passes everything but tus PATCHes.

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: Server;
let proxyUrl: string;
let patches = 0;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  const target = new URL(server.url);
  proxy = createServer((req, res) => {
    if (req.method === 'PATCH') {
      patches++;
      req.resume(); // read, never answer
      return;
    }
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan --timeout and resumable uploads', () => {
  it('a server that never answers a tus PATCH stops the scan with TIMEOUT (75) after --timeout, with the summary', async () => {
    const root = join(box.dir, 'big');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'big.bin'), randomBytes(256 * 1024));
    const started = Date.now();
    const run = await ufs(
      ['scan', '--hostname', 'tus-silent', '--json', '--no-cache', '--tus-threshold', '64KiB', '--timeout', '2', root],
      { env: { ...box.env, UFS_SERVER: proxyUrl, UFS_API_KEY: server.apiKey! }, timeoutMs: 30_000 },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(patches).toBeGreaterThanOrEqual(1);
    expect(run.status).toBe(75);
    const out = run.json<{ stats: Record<string, number>; error: { code: string; message: string } }>();
    expect(out.error.code).toBe('TIMEOUT');
    expect(out.error.message).toContain('resumable upload');
    expect(out.error.message).toContain('no answer for 2 s');
    expect(out.stats).toMatchObject({ files: 1, sent: 1, new: 1, uploaded: 0 });
  });
});
