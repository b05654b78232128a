import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  createBootstrapKey,
  createDedupApp,
  openContentMount,
  openStore,
  type DedupApp,
  type DedupAppOptions,
} from '@org/server';
import { FakeService, corrupter, drain, send } from './base.js';
import type { Harness } from './index.js';

/** A real ufs dedup server (@org/server) on 127.0.0.1: embedded SQLite store and a local content folder. */
export interface UfsServer {
  url: string;
  /** A key with every scope, made with `createBootstrapKey` as `ufs server key create --bootstrap` does. */
  apiKey: string;
  app: DedupApp;
  dir: string;
  close(): Promise<void>;
}

export async function startUfsServer(
  options: Partial<Omit<DedupAppOptions, 'store' | 'content'>> = {},
): Promise<UfsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-providers-server-'));
  const content = await openContentMount(join(dir, 'content'));
  const app = await createDedupApp({
    store: { sqlitePath: join(dir, 'ufs.db') },
    content: content.backend,
    openApi: false,
    logLevels: ['error'],
    ...options,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  const admin = await openStore({ sqlitePath: join(dir, 'ufs.db') });
  const { apiKey } = await createBootstrapKey(admin.store);
  await admin.close();
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    app,
    dir,
    async close() {
      await app.close();
      await content.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fault-injecting reverse proxy in front of the real server. Requests are forwarded unchanged; the ones
 * `faultPath` matches (default: `POST /put_file`, the first request of each upload attempt, so `uploads` counts
 * attempts) go through the fake's switches first (status faults, stalls), and content downloads are corrupted
 * when switched on; `answerWithoutUrl` makes `put_file` answer a 2xx that is not a record.
 */
export class UfsProxy extends FakeService {
  faultPath: RegExp = /^\/put_file$/;

  constructor(target: string) {
    const upstream = new URL(target);
    super('ufs-proxy', async (req, res, url) => {
      // POST (put_file, upload_file, share) and PUT (content by hash).
      if ((req.method === 'POST' || req.method === 'PUT') && this.faultPath.test(url.pathname)) {
        if (await this.intercept(req, res)) return;
        if (url.pathname === '/put_file' && this.takeEmpty()) {
          await drain(req);
          return send(res, 201, { message: 'stored' }); // a 2xx that is not a record
        }
      }
      await new Promise<void>((resolve) => {
        const forward = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            const corrupt = req.method === 'GET' && this.corrupting && answer.statusCode === 200;
            pipeline(corrupt ? answer.pipe(corrupter()) : answer, res).then(resolve, () => resolve());
          },
        );
        forward.on('error', (err) => {
          send(res, 502, `proxy: ${err.message}`);
          resolve();
        });
        req.pipe(forward);
      });
    });
  }

  override reset(): void {
    super.reset();
    this.faultPath = /^\/put_file$/;
  }

  /** Requests of a method and path (pathname + query) seen since the last reset. */
  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }
}

/** The ufs provider wired to a real server through the fault proxy. */
export async function ufsHarness(): Promise<Harness & { fake: UfsProxy; server: UfsServer }> {
  const server = await startUfsServer();
  const proxy = await new UfsProxy(server.url).start();
  return {
    id: 'ufs',
    fake: proxy,
    server,
    env: { UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey },
    providerOptions: { hostname: 'contract-host' },
    async stop() {
      await proxy.stop();
      await server.close();
    },
  };
}
