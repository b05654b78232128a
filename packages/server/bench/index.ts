// Benchmarks of the dedup server: `pnpm --filter @org/server bench` (tsx). Loopback only, embedded store.
// UFS_BENCH_SECONDS (default 10), UFS_BENCH_UPLOAD_BYTES (default 1 GiB), UFS_BENCH_ONLY (put|batch|upload),
// UFS_BENCH_DIR (where the data folder goes; default the OS temp dir, e.g. /dev/shm to take the disk out).
import { benchBatch } from './batch.js';
import { startBenchServer } from './harness.js';
import { benchPutFile } from './put-file.js';
import { benchUpload } from './upload.js';

const seconds = Number(process.env.UFS_BENCH_SECONDS ?? 10);
const uploadBytes = Number(process.env.UFS_BENCH_UPLOAD_BYTES ?? 1024 ** 3);
const only = process.env.UFS_BENCH_ONLY;
const MB = 1024 * 1024;

const server = await startBenchServer(process.env.UFS_BENCH_DIR);
try {
  if (!only || only === 'put') {
    await benchPutFile(server, 64, 2); // warm-up
    const put = await benchPutFile(server, 64, seconds);
    console.log(
      `put_file, 64 connections, ${seconds} s: ${put.requestsPerSecond.toFixed(0)} req/s, p50 ${put.p50Ms} ms, ` +
        `p99 ${put.p99Ms} ms (${put.total} requests, ${put.non2xx} non-2xx, ${put.errors} errors) ` +
        `[targets: >= 3000 req/s, p99 < 20 ms]`,
    );
  }
  if (!only || only === 'batch') {
    const batch = await benchBatch(server);
    console.log(
      `put_files (batch of 1000, 4 in flight): ${batch.recordsPerSecond.toFixed(0)} records/s (${batch.records} in ${batch.seconds.toFixed(2)} s)`,
    );
  }
  if (!only || only === 'upload') {
    const up = await benchUpload(server, uploadBytes);
    console.log(
      `upload of ${(up.size / MB).toFixed(0)} MiB: ${(up.upload / MB).toFixed(0)} MiB/s; node:fs write ${(up.rawNoSync / MB).toFixed(0)} MiB/s ` +
        `(${(up.rawSync / MB).toFixed(0)} MiB/s with fsync); ratio ${up.ratioVsRawNoSync.toFixed(2)}x (${up.ratioVsRawSync.toFixed(2)}x vs fsync) [target >= 0.8x]`,
    );
  }
} finally {
  await server.stop();
}
