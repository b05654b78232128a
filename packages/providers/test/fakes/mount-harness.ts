import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Harness } from './index.js';
import { adminClient, freshBucket, radosgw } from './s3-harness.js';
import { s3Proxy } from './s3-proxy.js';

/** An S3 mount config for radosgw (or the proxy in front of it): SDK retries off, the orchestrator retries. */
export function s3Mount(name: string, bucket: string, endpoint: string, extra: Record<string, unknown> = {}) {
  const rgw = radosgw();
  return {
    name,
    protocol: 's3',
    bucket,
    endpoint,
    forcePathStyle: true,
    region: rgw.region,
    accessKeyId: rgw.accessKeyId,
    secretAccessKey: rgw.secretAccessKey,
    maxAttempts: 1,
    ...extra,
  };
}

/** The mount provider publishing into an S3 mount on radosgw, through the fault-injecting proxy, in a fresh bucket. */
export async function mountHarness(): Promise<Harness> {
  const rgw = radosgw();
  const admin = adminClient();
  const { bucket, remove } = await freshBucket(admin);
  const proxy = await s3Proxy(rgw.endpoint).start();
  return {
    id: 'mount',
    fake: proxy,
    env: {},
    providerOptions: { mounts: [s3Mount('pub', bucket, proxy.url)], target: 'pub:uploads' },
    async stop() {
      await proxy.stop();
      await remove();
      admin.destroy();
    },
  };
}

/** A small static web server over a folder (what a `local` mount's `baseUrl` points at): GET only, streamed. */
export async function staticServer(root: string): Promise<{ url: string; gets: string[]; stop(): Promise<void> }> {
  const base = resolve(root);
  const gets: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(join(base, path));
    gets.push(path);
    if (req.method !== 'GET' || !file.startsWith(base + sep)) {
      res.writeHead(req.method !== 'GET' ? 405 : 403).end();
      return;
    }
    stat(file).then(
      (info) => {
        if (!info.isFile()) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': String(info.size), 'content-type': 'application/octet-stream' });
        pipeline(createReadStream(file), res).catch(() => undefined);
      },
      () => void res.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gets,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
