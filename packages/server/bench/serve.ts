// The server under benchmark, in its own process: `node --import tsx bench/serve.ts <data dir>`.
import { join } from 'node:path';
import { createDedupApp, openContentMount } from '../src/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: serve.ts <data dir>');
const mount = await openContentMount(join(dir, 'content'));
const app = await createDedupApp({
  store: { sqlitePath: join(dir, 'ufs.db') },
  content: mount.backend,
  rateLimitPerMinute: Number(process.env.UFS_BENCH_RATE_LIMIT ?? 60_000_000),
  maxJsonBytes: 64 * 1024 * 1024,
  maxBatch: 10_000,
  keyCacheMs: Number(process.env.UFS_BENCH_KEY_CACHE_MS ?? 1000),
  openApi: false,
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.getHttpServer().address() as { port: number }).port}\n`);
