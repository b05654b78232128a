/**
 * SHA-256 of a large file: @org/core hashFile vs `openssl dgst -sha256` and `sha256sum`, same file, same run.
 * Size: UFS_BENCH_SIZE_MB (default 1024). Runs: UFS_BENCH_RUNS (default 3, best of).
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashFile } from '../src/index.js';

const sizeMb = Number(process.env.UFS_BENCH_SIZE_MB ?? 1024);
const runs = Number(process.env.UFS_BENCH_RUNS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'ufs-bench-sha256-'));
const file = join(dir, 'data.bin');

function makeFile(): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (let written = 0; written < sizeMb * 1024 * 1024; written += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, sizeMb * 1024 * 1024 - written));
  }
  closeSync(fd);
}

async function best(
  label: string,
  fn: () => Promise<string> | string,
): Promise<{ label: string; seconds: number; digest: string }> {
  let seconds = Infinity;
  let digest = '';
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    digest = await fn();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return { label, seconds, digest };
}

try {
  makeFile();
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache
  const results = [
    await best('@org/core hashFile', async () => (await hashFile(file)).digest),
    await best(
      'openssl dgst -sha256',
      () => execFileSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' }).split(' ')[0]!,
    ),
    await best('sha256sum', () => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!),
  ];
  const digests = new Set(results.map((r) => r.digest));
  if (digests.size !== 1) throw new Error(`digests disagree: ${JSON.stringify(results)}`);
  const openssl = results[1]!.seconds;
  console.log(`SHA-256 of ${sizeMb} MiB (best of ${runs}, page cache warm)`);
  for (const r of results) {
    const mbps = (sizeMb * 1024 * 1024) / r.seconds / 1e6;
    console.log(
      `  ${r.label.padEnd(22)} ${r.seconds.toFixed(3)} s  ${mbps.toFixed(0).padStart(5)} MB/s  ${(openssl / r.seconds).toFixed(2)}x openssl`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
