import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `kill` (SIGTERM: systemd, `timeout`, a container stop) and a closed terminal (SIGHUP) stop `ufs scan` as Ctrl-C
// does: it stops sending, keeps what it learnt (the hash cache) and exits 128 + the signal's number with one line.

const FILES = 400;
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
let tree: string;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  // A slow server: the scan is still sending when the signal comes.
  proxy = await countingProxy(server.url, { delayMs: 400 });
  tree = join(box.dir, 'tree');
  for (let d = 0; d < 4; d++) {
    await mkdir(join(tree, `d${d}`), { recursive: true });
    for (let f = 0; f < FILES / 4; f++) await writeFile(join(tree, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
  }
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box?.cleanup();
});

function cachedHashes(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM file_hashes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe.each([
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)('ufs scan stopped by %s', (signal, status) => {
  it(`exits ${status} with one line, sends nothing more, and keeps the hashes it made`, async () => {
    const cache = join(box.dir, `cache-${signal}.sqlite`);
    proxy.reset();
    let sentAtSignal = -1;
    const run = await ufs(['scan', '--cache', cache, '--hostname', signal, '--batch-size', '20', '--json', tree], {
      env: { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! },
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if ((proxy.requests['POST /put_files'] ?? 0) >= 1) {
            clearInterval(poll);
            sentAtSignal = proxy.requests['POST /put_files']!;
            child.kill(signal);
          }
        }, 10);
        child.once('exit', () => clearInterval(poll));
      },
    });
    expect(sentAtSignal).toBeGreaterThanOrEqual(1);
    expect(run.status).toBe(status);
    expect(run.json()).toMatchObject({ error: { code: 'ABORTED', exitCode: status } });
    expect(run.stderr.trim()).toBe('[ufs] scan: interrupted');
    // Stopped: the batches in flight when the signal came (at most 3: the scan's requests in flight) may finish, none
    // of those queued behind them is sent (the walk runs ahead of a slow server: all 20 were queued).
    expect(proxy.requests['POST /put_files']).toBeLessThanOrEqual(sentAtSignal + 3);
    expect(proxy.requests['POST /put_files']).toBeLessThan(FILES / 20);
    // The hashes made before the signal are kept for the next run.
    expect(cachedHashes(cache)).toBeGreaterThan(0);
  }, 60_000);
});
