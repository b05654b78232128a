// Benchmark: upload a 1 GiB file to a local server (in its own process) with ufs and with curl, same script,
// same server. Prints MiB/s, the ratio ufs/curl and ufs's peak RSS. Run: `pnpm --filter @org/providers bench`.
// UFS_BENCH_SIZE_MIB changes the size, UFS_BENCH_RUNS the runs per tool (best run counts).
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fileSource, loadProvider } from '../src/index.js';
import { countedBytes } from '../src/http/body.js';
import { postMultipart } from '../src/kit/http-upload.js';
import type { SendContext } from '../src/kit/define.js';

const MiB = 1024 * 1024;
const size = Number(process.env.UFS_BENCH_SIZE_MIB ?? 1024) * MiB;
const runs = Number(process.env.UFS_BENCH_RUNS ?? 5);
const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function startSink(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'sink-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sink server exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGTERM') };
}

async function makeFile(path: string): Promise<void> {
  // Real bytes (not a sparse file) so reading costs what it costs for a real file; written once, then cached.
  const handle = await open(path, 'w');
  const block = Buffer.alloc(8 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let offset = 0; offset < size; offset += block.length)
    await handle.write(block, 0, Math.min(block.length, size - offset), offset);
  await handle.close();
}

/** Runs two contenders alternately (so a busy machine slows both alike); returns each one's best MiB/s. */
async function duel(
  labels: [string, string],
  fns: [() => Promise<void>, () => Promise<void>],
): Promise<[number, number]> {
  const fastest = [Infinity, Infinity];
  for (let i = 0; i < runs; i++) {
    for (const which of [0, 1] as const) {
      const started = performance.now();
      await fns[which]();
      fastest[which] = Math.min(fastest[which]!, (performance.now() - started) / 1000);
    }
  }
  const mibs = fastest.map((s) => size / MiB / s) as [number, number];
  for (const which of [0, 1] as const) {
    console.log(
      `${labels[which].padEnd(34)} ${fastest[which]!.toFixed(2).padStart(7)} s  ${mibs[which].toFixed(0).padStart(6)} MiB/s`,
    );
  }
  return mibs;
}

const dir = await mkdtemp(join(tmpdir(), 'ufs-bench-'));
const sink = await startSink();
try {
  const path = join(dir, 'bench.bin');
  await makeFile(path);
  const source = await fileSource(path);
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  console.log(
    `upload of ${size / MiB} MiB to ${sink.url} (sink in its own process), best of ${runs}, ufs and curl alternating`,
  );

  const multipartCtx: SendContext = {
    source,
    options: {},
    env: {},
    baseUrl: sink.url,
    context: { provider: 'catbox', operation: 'upload' },
    signal: undefined,
    timeoutMs: undefined,
    idleTimeoutMs: undefined,
    bytes: (options) => countedBytes(source, () => undefined, {}, options),
    progress: () => undefined,
  };
  const tempsh = await loadProvider('tempsh');
  const [ufsForm, curlForm] = await duel(
    ['ufs  multipart (catbox request)', 'curl -F (same request)'],
    [
      async () => {
        const reply = await postMultipart(multipartCtx, {
          url: `${sink.url}/user/api.php`,
          fields: [['reqtype', 'fileupload']],
          field: 'fileToUpload',
        });
        if (!reply.text.includes(`/${size}.bin`)) throw new Error(`sink got a different size: ${reply.text}`);
      },
      async () => {
        const { stdout } = await run('curl', [
          '-sS',
          '--fail',
          '-F',
          'reqtype=fileupload',
          '-F',
          `fileToUpload=@${path}`,
          `${sink.url}/user/api.php`,
        ]);
        if (!stdout.includes(`/${size}.bin`)) throw new Error(`sink got a different size: ${stdout}`);
      },
    ],
  );
  const [ufsPut, curlPut] = await duel(
    ['ufs  PUT (tempsh provider)', 'curl -T (same request)'],
    [
      async () => {
        const result = await tempsh.upload(source, { env: { UFS_TEMPSH_URL: sink.url } });
        if (!result.url.includes(`/sink/${size}/`)) throw new Error(`sink got a different size: ${result.url}`);
      },
      async () => {
        const { stdout } = await run('curl', ['-sS', '--fail', '-T', path, `${sink.url}/bench.bin`]);
        if (!stdout.includes(`/sink/${size}/`)) throw new Error(`sink got a different size: ${stdout}`);
      },
    ],
  );
  clearInterval(sampler);
  console.log(
    `ratio ufs/curl: multipart ${(ufsForm / curlForm).toFixed(2)}x, PUT ${(ufsPut / curlPut).toFixed(2)}x (target >= 0.9x)`,
  );
  console.log(
    `ufs peak RSS during the runs: ${(peakRss / MiB).toFixed(0)} MiB (${((peakRss - baselineRss) / MiB).toFixed(0)} MiB over the ${(baselineRss / MiB).toFixed(0)} MiB before the first upload)`,
  );
} finally {
  sink.stop();
  await rm(dir, { recursive: true, force: true });
}
