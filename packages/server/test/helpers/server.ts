import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageBackend } from '@org/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createBootstrapKey,
  createDedupApp,
  openContentMount,
  SqliteStore,
  type DedupAppOptions,
  type MetadataStore,
} from '../../src/index.js';

export interface TestServer {
  url: string;
  /** An admin key (every scope). */
  key: string;
  app: NestFastifyApplication;
  /** A second handle on the same store (the embedded SQLite file), for assertions. */
  store: MetadataStore;
  backend: StorageBackend;
  dir: string;
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<DedupAppOptions, 'content' | 'store'>> {
  /** Reuse a folder (a second replica on the same SQLite file and content folder). */
  dir?: string;
  content?: StorageBackend;
  store?: DedupAppOptions['store'];
}

/** A real server on 127.0.0.1 (free port) over a temp folder: SQLite store + local content mount. */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ufs-server-')));
  const mount = options.content ? undefined : await openContentMount(join(dir, 'content'));
  const backend = options.content ?? mount!.backend;
  const { dir: _d, content: _c, store: _s, ...rest } = options;
  const app = await createDedupApp({
    store: options.store ?? { sqlitePath: join(dir, 'ufs.db') },
    content: backend,
    contentDescription: mount ? `local ${join(dir, 'content')}` : backend.protocol,
    ...rest,
  }).catch(async (error: unknown) => {
    await mount?.dispose();
    throw error;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const store = new SqliteStore({ path: join(dir, 'ufs.db') });
  const { apiKey } = await createBootstrapKey(store);
  return {
    url: `http://127.0.0.1:${address.port}`,
    key: apiKey,
    app,
    store,
    backend,
    dir,
    async close() {
      await app.close();
      await store.close();
      await mount?.dispose();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The rate limit counts in fixed one-minute windows (src/api-keys/rate-limiter.ts). A test that sends a few requests
 * and expects the limit to bite must not straddle a window boundary (CI once did: the counter restarted mid-test), so it
 * first waits out the current window when less than `marginMs` of it is left.
 */
export async function inOneRateWindow(marginMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
