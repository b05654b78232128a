// A dedup server in its own process (for crash tests): `node --import tsx serve-child.ts <dir>`.
// Prints `listening <port>` on stdout once it accepts connections. `UFS_CHILD_OPTIONS`: more createDedupApp options
// (JSON), for tests that need them in the child.
import { join } from 'node:path';
import { createDedupApp, openContentMount } from '../../src/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: serve-child.ts <data dir> [port]');
const mount = await openContentMount(join(dir, 'content'));
const more = JSON.parse(process.env.UFS_CHILD_OPTIONS ?? '{}') as Record<string, unknown>;
const app = await createDedupApp({
  store: { sqlitePath: join(dir, 'ufs.db') },
  content: mount.backend,
  gcGraceMs: 0,
  ...more,
});
await app.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1' });
process.stdout.write(`listening ${(app.getHttpServer().address() as { port: number }).port}\n`);
