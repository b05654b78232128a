// Benchmark of `ufs scan` (`pnpm --filter @org/cli bench`, after `pnpm build`): a generated tree (default 10,000
// files / 1 GiB, every tenth file a duplicate) scanned by the real `ufs` binary against a running `ufs serve`,
// compared in the same script with `find … -print0 | xargs -0 openssl dgst -sha256`. Page cache warm for both (the
// tree is read once before timing). UFS_BENCH_FILES, UFS_BENCH_BYTES, UFS_BENCH_RUNS (best of, default 3),
// UFS_BENCH_DIR (where the tree and the server's data go; default the OS temp dir).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanStats } from '../src/scan/stats.js';
import { MB, best, scan, serve, sh, timed } from './harness.js';
import { generateTree } from './tree.js';

const FILES = Number(process.env.UFS_BENCH_FILES ?? 10_000);
const BYTES = Number(process.env.UFS_BENCH_BYTES ?? 1024 ** 3);
const RUNS = Number(process.env.UFS_BENCH_RUNS ?? 3);

const work = await mkdtemp(join(process.env.UFS_BENCH_DIR ?? tmpdir(), 'ufs-scan-bench-'));
try {
  console.log(`generating ${FILES} files / ${(BYTES / MB).toFixed(0)} MiB under ${work} …`);
  const tree = await generateTree(join(work, 'tree'), FILES, BYTES);
  const treeMiB = tree.bytes / MB;

  // Baseline: one openssl per xargs batch, single-threaded hashing. The first run warms the page cache for everyone.
  const openssl = `find ${tree.root} -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null`;
  await sh(openssl);
  const baseline = await best(RUNS, () => timed(() => sh(openssl)));

  const server = await serve(work);
  try {
    const serverArgs = ['--server', server.url, '--api-key', server.apiKey];
    const cacheEnv = (name: string) => ({ XDG_CACHE_HOME: join(work, `cache-${name}`), HOME: work });

    // First scan ever: hashes everything and uploads every distinct content (the server starts empty).
    const first = await scan([...serverArgs, '--hostname', 'first', tree.root], cacheEnv('first'));

    // Cold: an empty hash cache and a new host name, content already on the server — walk, hash, send records.
    let cold: { seconds: number; stats: ScanStats } | undefined;
    const coldSeconds = await best(RUNS, async (run) => {
      const result = await scan([...serverArgs, '--hostname', `cold-${run}`, tree.root], cacheEnv(`cold-${run}`));
      cold = result;
      return result.seconds;
    });
    const last = `cold-${RUNS - 1}`;
    // Warm: the same host and cache again; nothing changed, so nothing is read, hashed or sent (one request).
    let warm: { seconds: number; stats: ScanStats } | undefined;
    const warmSeconds = await best(RUNS, async () => {
      warm = await scan([...serverArgs, '--hostname', last, tree.root], cacheEnv(last));
      return warm.seconds;
    });
    // Dry run with no cache: walk + hash only, no server.
    const dry = await best(RUNS, async () => (await scan(['--dry-run', '--no-cache', tree.root], {})).seconds);

    const line = (label: string, seconds: number, extra = '') =>
      console.log(
        `${label.padEnd(46)} ${seconds.toFixed(2).padStart(7)} s ${(treeMiB / seconds).toFixed(0).padStart(6)} MiB/s${extra}`,
      );
    console.log(
      `\ntree: ${tree.files} files, ${treeMiB.toFixed(0)} MiB, ${tree.duplicates} duplicates; best of ${RUNS}; page cache warm`,
    );
    line('find | xargs openssl dgst -sha256 (baseline)', baseline);
    line('ufs scan --dry-run --no-cache', dry, `  ${(baseline / dry).toFixed(2)}x baseline`);
    line(
      'ufs scan, cold (no cache, content on server)',
      coldSeconds,
      `  ${(baseline / coldSeconds).toFixed(2)}x baseline [target >= 1.0x]; ${(cold!.stats.sent / coldSeconds).toFixed(0)} records/s reached the server`,
    );
    line(
      'ufs scan, warm rescan (cache, nothing changed)',
      warmSeconds,
      `  ${(coldSeconds / warmSeconds).toFixed(1)}x faster than cold [target >= 20x]; hashed ${warm!.stats.hashed}, cached ${warm!.stats.cached}, sent ${warm!.stats.sent}, unchanged ${warm!.stats.unchanged}`,
    );
    line(
      'ufs scan, first ever (uploads every new content)',
      first.seconds,
      `  ${first.stats.uploaded} uploads, ${(first.stats.uploadedBytes / MB).toFixed(0)} MiB; new ${first.stats.new}, deduplicated ${first.stats.deduplicated}`,
    );
    if (cold!.stats.sent !== tree.files || warm!.stats.cached !== tree.files || warm!.stats.unchanged !== tree.files)
      throw new Error(`unexpected counts: cold ${JSON.stringify(cold!.stats)} warm ${JSON.stringify(warm!.stats)}`);
  } finally {
    await server.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
