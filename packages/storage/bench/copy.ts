/**
 * Bench 5: `copyNode` of a tree of many small files from an `s3` mount (radosgw, started here unless UFS_TEST_S3_*
 * are set) and a `webdav` mount (the WebDAV test server, in this process) to a local folder, and back up: the time
 * (best and median of the runs, no proxy in between) and the HTTP requests per file, counted by a node:http proxy
 * in front of the server in one more round (by method: HEAD/PROPFIND are stats, GET the reads, PUT the writes).
 * The tree is UFS_BENCH_SMALL_FILES files of UFS_BENCH_SMALL_BYTES bytes under UFS_BENCH_FOLDERS folders, copied with
 * UFS_BENCH_CONCURRENCY transfers in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { s3FromEnv, startRadosgw, startWebdavServer, type RadosgwHandle } from '@org/test-services';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { copyNode, StorageManager, type MountConfig } from '../src/index.js';
import { median, pool, settings, smallData, smallKey } from './harness.js';

const BUCKET = 'ufs-bench-copy';

/** Forwards every request to `target`, counting them by method. */
async function countingProxy(
  target: string,
): Promise<{ endpoint: string; counts: Map<string, number>; close(): Promise<void> }> {
  const to = new URL(target);
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    counts.set(req.method!, (counts.get(req.method!) ?? 0) + 1);
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Remote {
  name: string;
  /** The mount's options, reaching the server at `endpoint`. */
  mount: (endpoint: string) => Record<string, unknown>;
  endpoint: string;
}

async function time(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return (performance.now() - started) / 1000;
}

async function copied(from: string, to: string, storage: StorageManager): Promise<void> {
  const summary = await copyNode(storage.node(from), storage.node(to), { concurrency: settings.concurrency });
  if (summary.errors.length > 0) throw summary.errors[0]!.error;
  if (summary.files !== settings.smallFiles) throw new Error(`${from} → ${to}: ${summary.files} files copied`);
}

/** One remote: the timed rounds (direct), then one round through the counting proxy. */
async function benchRemote(remote: Remote, base: string): Promise<void> {
  const storage = new StorageManager();
  const proxy = await countingProxy(remote.endpoint);
  const local = join(base, remote.name);
  await storage.configure([
    { name: 'loc', protocol: 'local', root: local },
    { name: 'direct', ...remote.mount(remote.endpoint) } as MountConfig,
    { name: 'counted', ...remote.mount(proxy.endpoint) } as MountConfig,
  ]);
  try {
    await pool(settings.smallFiles, settings.concurrency, (i) =>
      storage
        .node(`loc:src/${smallKey(i)}`)
        .writeBytes(smallData)
        .then(() => undefined),
    );
    const down: number[] = [];
    const up: number[] = [];
    for (let i = 0; i <= settings.runs + 1; i++) {
      const mount = i > settings.runs ? 'counted' : 'direct';
      const tag = `run${i}`;
      const upTime = await time(() => copied('loc:src/', `${mount}:${tag}/`, storage));
      const upCounts = new Map(proxy.counts);
      proxy.counts.clear();
      const downTime = await time(() => copied(`${mount}:${tag}/`, `loc:${tag}/`, storage));
      const downCounts = new Map(proxy.counts);
      proxy.counts.clear();
      await storage.node(`direct:${tag}/`).delete({ recursive: true });
      await storage.node(`loc:${tag}/`).delete({ recursive: true });
      if (mount === 'counted') {
        const perFile = (counts: Map<string, number>) =>
          [...counts]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([method, n]) => `${method} ${(n / settings.smallFiles).toFixed(2)}`)
            .join(', ');
        const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
        console.log(
          `  ${remote.name} → local: ${(total(downCounts) / settings.smallFiles).toFixed(2)} requests per file ` +
            `(${perFile(downCounts)})`,
        );
        console.log(
          `  local → ${remote.name}: ${(total(upCounts) / settings.smallFiles).toFixed(2)} requests per file ` +
            `(${perFile(upCounts)})`,
        );
      } else if (i > 0) {
        down.push(downTime);
        up.push(upTime);
      }
    }
    const show = (times: number[]) => `${Math.min(...times).toFixed(2)} s (median ${median(times).toFixed(2)})`;
    console.log(`  ${remote.name} → local: ${show(down)}`);
    console.log(`  local → ${remote.name}: ${show(up)}`);
  } finally {
    await storage.dispose();
    await proxy.close();
  }
}

export async function benchCopy(): Promise<string[]> {
  const base = mkdtempSync(join(tmpdir(), 'ufs-bench-copy-'));
  let rgw: RadosgwHandle | undefined;
  let s3 = s3FromEnv();
  if (!s3) s3 = rgw = await startRadosgw();
  const dav = await startWebdavServer('basic');
  console.log(
    `\ncopy of ${settings.smallFiles} files of ${settings.smallBytes} B (${settings.folders} folders), ` +
      `${settings.concurrency} in flight, ${settings.runs} runs; requests counted in one more run through a proxy`,
  );
  try {
    const admin = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
    admin.destroy();
    const { region, accessKeyId, secretAccessKey } = s3;
    const remotes: Remote[] = [
      {
        name: 's3',
        endpoint: s3.endpoint,
        mount: (endpoint) => ({ protocol: 's3', bucket: BUCKET, endpoint, region, accessKeyId, secretAccessKey }),
      },
      {
        name: 'webdav',
        endpoint: dav.url.replace(/\/$/, ''),
        mount: (endpoint) => ({
          protocol: 'webdav',
          url: `${endpoint}/`,
          username: dav.username,
          password: dav.password,
        }),
      },
    ];
    for (const remote of remotes) {
      if (settings.subjects.length > 0 && !settings.subjects.includes(remote.name)) continue;
      await benchRemote(remote, base);
    }
  } finally {
    await dav.stop();
    await rgw?.stop();
    rmSync(base, { recursive: true, force: true });
  }
  return [];
}
