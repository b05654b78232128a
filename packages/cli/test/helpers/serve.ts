import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN } from './ufs.js';

export interface Served {
  url: string;
  apiKey?: string;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

/** Starts `ufs serve --port 0 --json` as a real process and waits for its JSON line. */
export function serve(args: readonly string[], env: Record<string, string>): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ufs serve did not start:\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ufs serve exited with ${code}:\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; apiKey?: string; dataDir: string };
      resolve({
        ...info,
        child,
        stderr: () => stderr,
        async stop() {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
