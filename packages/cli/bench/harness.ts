// What the CLI benchmarks share: shell commands, timing, the real `ufs` binary run as a process, `ufs serve` in the
// background.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ScanStats } from '../src/scan/stats.js';

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
export const MB = 1024 * 1024;

export function sh(command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('bash', ['-c', command], { maxBuffer: 1024 * MB }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

export async function best(runs: number, fn: (run: number) => Promise<number>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, await fn(i));
  return min;
}

/** Runs `ufs scan` as a real process; resolves with its JSON summary and wall time. */
export function scan(args: string[], env: Record<string, string>): Promise<{ seconds: number; stats: ScanStats }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'scan', '--json', ...args],
      { env: { ...process.env, NODE_OPTIONS: '', UFS_PROGRESS: '0', ...env }, maxBuffer: 64 * MB },
      (error, stdout, stderr) => {
        const seconds = (performance.now() - started) / 1000;
        if (error) return reject(new Error(`ufs scan failed: ${error.message}\n${stderr}`));
        const { stats } = JSON.parse(stdout) as { stats: ScanStats };
        if (stats.failed > 0) return reject(new Error(`ufs scan reported ${stats.failed} failures\n${stdout}`));
        resolve({ seconds, stats });
      },
    );
  });
}

export interface Server {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** `ufs serve --port 0 --json` in the background, data under `dir`. */
export async function serve(dir: string): Promise<Server> {
  const env = { ...process.env, NODE_OPTIONS: '', XDG_DATA_HOME: join(dir, 'data'), HOME: dir };
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for a failure; a server stopped as planned says only that it is stopping.
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk.slice(0, 65_536 - stderr.length)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ufs serve exited with ${code}\n${stderr}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  const info = JSON.parse(line) as { url: string; apiKey: string };
  return {
    ...info,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
