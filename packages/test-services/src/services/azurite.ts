import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../net.js';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** Blob service URL of the dev account: `http://127.0.0.1:<port>/devstoreaccount1`. */
  blobEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Loaded into azurite's process before its own code: exits when the process that started it is gone (killed by a
 * signal no exit hook sees), so no azurite outlives its test run.
 */
const PARENT_WATCHDOG = `data:text/javascript,${encodeURIComponent(
  'const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();',
)}`;

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

async function startOnce(location: string): Promise<{ child: ChildProcess; port: number; log: string[] } | string> {
  const main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const port = await freePort();
  const log: string[] = [];
  const child = spawn(
    process.execPath,
    [
      '--import',
      PARENT_WATCHDOG,
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AZURITE_ACCOUNTS: '' } },
  );
  const keep = (d: Buffer) => {
    log.push(d.toString());
    if (log.length > 50) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Neither the process nor its pipes keep the test process alive (a file whose tests are all filtered out never
  // runs its afterAll): the exit hook and the watchdog stop azurite then.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return `azurite exited with ${child.exitCode}: ${log.join('').slice(-2000)}`;
    if (await answers(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}?comp=list`)) return { child, port, log };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  return `azurite did not answer on 127.0.0.1:${port} within 20 s: ${log.join('').slice(-2000)}`;
}

/**
 * Starts azurite-blob (the npm `azurite` package, a dependency of this one) on 127.0.0.1 with a free port, in memory, telemetry off.
 * `stop()` kills it and removes its work folder; it is also killed if the test process exits first.
 */
export async function startAzurite(): Promise<Azurite> {
  const location = await mkdtemp(join(tmpdir(), 'ufs-azurite-'));
  let started: Awaited<ReturnType<typeof startOnce>> = 'not started';
  // A port picked as free can be taken before azurite binds it: try again with another one.
  for (let attempt = 0; attempt < 3 && typeof started === 'string'; attempt++) started = await startOnce(location);
  if (typeof started === 'string') {
    await rm(location, { recursive: true, force: true });
    throw new Error(started);
  }
  const { child, port } = started;
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(location, { recursive: true, force: true });
    },
  };
}
