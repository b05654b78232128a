// A dedup server in its own process over S3 content (the radosgw of the jest global setup, from the environment):
// `node --import tsx s3-serve-child.ts <data dir> <bucket>`. Prints `listening <port>` once it accepts connections;
// SIGTERM/SIGINT close it as `ufs serve` does. `UFS_CHILD_OPTIONS`: more createDedupApp options (JSON).
import { join } from 'node:path';
import { s3FromEnv } from '@org/test-services';
import { createDedupApp, openContentMount } from '../../src/index.js';

const [dir, bucket] = process.argv.slice(2);
const s3 = s3FromEnv();
if (!dir || !bucket || !s3) throw new Error('usage: s3-serve-child.ts <data dir> <bucket> (with the S3 test service)');
const mount = await openContentMount({ protocol: 's3', bucket, ...s3 });
const more = JSON.parse(process.env.UFS_CHILD_OPTIONS ?? '{}') as Record<string, unknown>;
const app = await createDedupApp({ store: { sqlitePath: join(dir, 'ufs.db') }, content: mount.backend, ...more });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.getHttpServer().address() as { port: number }).port}\n`);
