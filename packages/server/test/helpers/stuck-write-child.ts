// A dedup server in its own process whose content mount never finishes a write to a tus upload's part (the write
// waits for ever): a PATCH handler then never settles. `node --import tsx stuck-write-child.ts <dir>`; prints
// `listening <port>` once it accepts connections and `stuck` once a PATCH's write is held. `UFS_CHILD_OPTIONS`: more
// createDedupApp options (JSON). SIGTERM closes the app (its drain) and ends the process.
import { join } from 'node:path';
import { createDedupApp, openContentMount, TUS_PREFIX } from '../../src/index.js';
import { Gate, gated } from './gate.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: stuck-write-child.ts <data dir>');
const mount = await openContentMount(join(dir, 'content'));
const gate = new Gate();
gate.arm();
void gate.reached.then(() => process.stdout.write('stuck\n'));
const content = gated(mount.backend, 'write', gate, (key) => String(key).startsWith(`${TUS_PREFIX}/`));
const more = JSON.parse(process.env.UFS_CHILD_OPTIONS ?? '{}') as Record<string, unknown>;
const app = await createDedupApp({ store: { sqlitePath: join(dir, 'ufs.db') }, content, ...more });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.getHttpServer().address() as { port: number }).port}\n`);
