// Benchmarks of the dedup server: `pnpm --filter @org/server bench` (tsx). Loopback only, embedded store.
// UFS_BENCH_SECONDS (default 10), UFS_BENCH_PUT_RUNS (put_file runs, default 3: the median is the figure, every
// run is printed; one 10-s run on a shared 2-core machine moves by ±20%), UFS_BENCH_UPLOAD_BYTES (default 1 GiB),
// UFS_BENCH_ONLY (put|batch|upload),
// UFS_BENCH_UPLOAD_MEMORY (warm,cold: see upload.ts), UFS_BENCH_DIR (where the data folders go; default the OS temp dir, e.g. /dev/shm to take the disk out).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBatch } from './batch.js';
import { startBenchServer } from './harness.js';
import { benchPutFile, type PutFileResult } from './put-file.js';
import { benchUpload, type MemoryState } from './upload.js';

const seconds = Number(process.env.UFS_BENCH_SECONDS ?? 10);
const putRuns = Number.parseInt(process.env.UFS_BENCH_PUT_RUNS ?? '3', 10);
if (!(putRuns >= 1))
  throw new Error(`UFS_BENCH_PUT_RUNS must be a whole number >= 1 (got ${process.env.UFS_BENCH_PUT_RUNS})`);
const uploadBytes = Number(process.env.UFS_BENCH_UPLOAD_BYTES ?? 1024 ** 3);
const only = process.env.UFS_BENCH_ONLY;
// Which memory states the upload runs in (see MemoryState in upload.ts): "warm,cold" (default), "warm" or "cold".
const uploadMemory = (process.env.UFS_BENCH_UPLOAD_MEMORY ?? 'warm,cold').split(',') as MemoryState[];
const root = process.env.UFS_BENCH_DIR ?? tmpdir();
const MB = 1024 * 1024;

if (!only || only === 'put' || only === 'batch') {
  const server = await startBenchServer(root);
  try {
    if (!only || only === 'put') {
      await benchPutFile(server, 64, 2); // warm-up
      const runs: PutFileResult[] = [];
      for (let run = 0; run < putRuns; run++) {
        const put = await benchPutFile(server, 64, seconds);
        runs.push(put);
        console.log(
          `put_file run ${run + 1}/${putRuns}, 64 connections, ${seconds} s: ${put.requestsPerSecond.toFixed(0)} req/s, ` +
            `p50 ${put.p50Ms} ms, p99 ${put.p99Ms} ms (${put.total} requests, ${put.non2xx} non-2xx, ${put.errors} errors)`,
        );
      }
      // The run of median throughput, whole: its latencies belong to it (medians taken apart could mix runs).
      const median = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;
      console.log(
        `put_file, the median of ${putRuns} runs: ${median.requestsPerSecond.toFixed(0)} req/s, ` +
          `p50 ${median.p50Ms} ms, p99 ${median.p99Ms} ms [targets: >= 3000 req/s, p99 < 20 ms]`,
      );
    }
    if (!only || only === 'batch') {
      const batch = await benchBatch(server);
      console.log(
        `put_files (batch of 1000, 4 in flight): ${batch.recordsPerSecond.toFixed(0)} records/s (${batch.records} in ${batch.seconds.toFixed(2)} s)`,
      );
    }
  } finally {
    await server.stop();
    await rm(server.dir, { recursive: true, force: true });
  }
}
if (!only || only === 'upload') {
  const dir = await mkdtemp(join(root, 'ufs-bench-upload-'));
  try {
    const mibs = (bytesPerSecond: number) => `${(bytesPerSecond / MB).toFixed(0)} MiB/s`;
    for (const state of uploadMemory) {
      const up = await benchUpload(dir, uploadBytes, state);
      const best = Math.max(up.viaNode, up.viaCurl ?? 0);
      const ratios = (base: { sync: number; noSync: number }) =>
        `${(up.viaNode / base.sync).toFixed(2)}x (node:http) / ${(best / base.sync).toFixed(2)}x (best client) vs ` +
        `fsynced, ${(up.viaNode / base.noSync).toFixed(2)}x / ${(best / base.noSync).toFixed(2)}x vs not`;
      console.log(
        `upload of ${(up.size / MB).toFixed(0)} MiB, ${state} memory (fresh server each run, content fsynced): ` +
          `node:http ${mibs(up.viaNode)}` +
          (up.viaCurl ? `, curl -T ${mibs(up.viaCurl)}` : '') +
          `; node:fs copy with streams ${mibs(up.streams.noSync)}, fsynced ${mibs(up.streams.sync)}; ` +
          `with file handles and reused buffers ${mibs(up.handles.noSync)}, fsynced ${mibs(up.handles.sync)}`,
      );
      console.log(`upload ratio (${state}) vs node:fs streams: ${ratios(up.streams)} [target >= 0.8x]`);
      console.log(`upload ratio (${state}) vs node:fs handles: ${ratios(up.handles)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
