import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not JSON). */
  json<T = unknown>(): T;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Bytes for stdin (a string is sent as UTF-8). */
  input?: string | Buffer;
  timeoutMs?: number;
  /** Rewrites the command line (`[node, bin/run.js, ...args]`), e.g. to run it under `script` (see pty.ts). */
  wrap?: (argv: string[]) => string[];
  /** Called with the child process once it is spawned (to watch or signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * A sandbox for real `ufs` processes: HOME and the XDG folders point into a temp folder (no user config leaks
 * in), and `UFS_*` variables of the outer environment are dropped except the test-service ones.
 */
export async function sandbox(): Promise<{ dir: string; env: Record<string, string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-cli-test-'));
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  };
  return { dir, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('UFS_') && !key.startsWith('UFS_TEST_')) continue;
    if (key === 'NODE_OPTIONS' || key === 'DEBUG' || key.startsWith('JEST') || key.startsWith('npm_')) continue;
    env[key] = value;
  }
  return env;
}

/** Runs `bin/run.js` as a real process (asynchronously, so in-process test servers keep answering). */
export function ufs(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...baseEnv(), ...options.env };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
    const [command, ...argv] = (options.wrap ?? ((a) => a))([process.execPath, BIN, ...args]);
    const child = spawn(command!, argv, {
      env: env as NodeJS.ProcessEnv,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    options.onSpawn?.(child);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({
        status,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not JSON (status ${status}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
    child.stdin.end(options.input ?? '');
  });
}
