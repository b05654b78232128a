// Benchmark of one large new file through `ufs scan` (`pnpm --filter @org/cli bench`, after `pnpm build`): the
// resumable (tus) upload in one PATCH (the default), in 64 MiB PATCHes, and as one multipart request, each against a
// fresh `ufs serve`, compared in the same script with what a shell script would do: `openssl dgst -sha256` then
// `curl -T` of the raw bytes to the same server. Before every timed run the same memory state is set (a scratch file
// of the same size written and deleted: on VMs that hand freed memory back to the host, new page cache is otherwise
// far slower for whichever run comes after a pause). UFS_BENCH_LARGE_BYTES (default 1 GiB), UFS_BENCH_RUNS (best
// of, default 3), UFS_BENCH_DIR.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MB, scan, serve, sh, timed } from './harness.js';

const BYTES = Number(process.env.UFS_BENCH_LARGE_BYTES ?? 1024 ** 3);
const RUNS = Number(process.env.UFS_BENCH_RUNS ?? 3);
const BLOCK = 4 * MB;

/** Random blocks, each stamped with its index so no two are alike; written, never held whole. */
async function writeLargeFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(BLOCK);
  const fh = await open(path, 'w');
  try {
    for (let i = 0, left = bytes; left > 0; i++, left -= BLOCK) {
      block.writeBigUInt64BE(BigInt(i), 0);
      await fh.write(block, 0, Math.min(BLOCK, left));
    }
  } finally {
    await fh.close();
  }
}

const work = await mkdtemp(join(process.env.UFS_BENCH_DIR ?? tmpdir(), 'ufs-large-bench-'));
try {
  const file = join(work, 'large.bin');
  const scratch = join(work, 'scratch.bin');
  console.log(`writing one ${(BYTES / MB).toFixed(0)} MiB file under ${work} …`);
  await writeLargeFile(file, BYTES);
  const sha256 = (await sh(`openssl dgst -sha256 -r ${file}`)).split(' ')[0]!;
  const sameMemory = () =>
    sh(`dd if=/dev/zero of=${scratch} bs=1M count=${Math.ceil(BYTES / MB)} status=none; rm ${scratch}`);

  /** One timed run on a fresh server (the content is new to it every time). */
  const onFreshServer = async (run: (server: { url: string; apiKey: string }) => Promise<unknown>) => {
    const dir = await mkdtemp(join(work, 'server-'));
    const server = await serve(dir);
    try {
      await sameMemory();
      return await timed(() => run(server));
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
  const viaScan = (extra: string[]) => (server: { url: string; apiKey: string }) =>
    scan(
      ['--server', server.url, '--api-key', server.apiKey, '--hostname', 'large', '--no-cache', ...extra, file],
      {},
    ).then(({ stats }) => {
      if (stats.uploaded !== 1 || stats.uploadedBytes !== BYTES)
        throw new Error(`not uploaded: ${JSON.stringify(stats)}`);
    });
  const variants: Array<[string, (server: { url: string; apiKey: string }) => Promise<unknown>]> = [
    [
      'openssl dgst -sha256, then curl -T (baseline)',
      (server) =>
        sh(
          `openssl dgst -sha256 ${file} > /dev/null && curl -sS -f -o /dev/null -T ${file} -H 'x-api-key: ${server.apiKey}' ` +
            `-H 'content-type: application/octet-stream' ${server.url}/files/${sha256}/content`,
        ),
    ],
    ['ufs scan: tus, one PATCH (default)', viaScan([])],
    ['ufs scan: tus, 64 MiB PATCHes', viaScan(['--tus-chunk-size', '64MiB'])],
    ['ufs scan: one multipart request', viaScan(['--tus-threshold', `${BYTES + 1}`])],
  ];
  const times = new Map<string, number>();
  // Variants take turns within each round, so a drift of the machine does not favour one of them.
  for (let run = 0; run < RUNS; run++)
    for (const [label, fn] of variants) {
      const seconds = await onFreshServer(fn);
      times.set(label, Math.min(times.get(label) ?? Infinity, seconds));
    }
  const baseline = times.get(variants[0]![0])!;
  console.log(
    `\none new ${(BYTES / MB).toFixed(0)} MiB file, fresh server each run; best of ${RUNS}; same memory state before each`,
  );
  for (const [label] of variants) {
    const seconds = times.get(label)!;
    console.log(
      `${label.padEnd(46)} ${seconds.toFixed(2).padStart(7)} s ${(BYTES / MB / seconds).toFixed(0).padStart(6)} MiB/s  ${(baseline / seconds).toFixed(2)}x baseline`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
