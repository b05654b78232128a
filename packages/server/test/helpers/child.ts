import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./serve-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** SIGKILL: no shutdown hooks, no cleanup, like a crashed machine process. */
  kill(): Promise<void>;
}

/**
 * Starts the dedup server in a child process (tsx) over `dir`; resolves once it listens. `options`: more
 * createDedupApp options (JSON values only).
 */
export function startChild(dir: string, options: Record<string, unknown> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', UFS_CHILD_OPTIONS: JSON.stringify(options) },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    // Generous: a loaded CI machine (two cores, other suites running) can take a while to boot Nest in a child.
    const timer = setTimeout(() => reject(new Error(`child server did not start in 120 s:\n${stderr}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`child server exited (${code}):\n${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const match = /listening (\d+)/.exec(d.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        process: child,
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    });
  });
}
