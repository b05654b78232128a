import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built app (`pnpm build`), as it is deployed. */
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const BOOTSTRAP_KEY = fileURLToPath(new URL('../../dist/bootstrap-key.js', import.meta.url));

export interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a built entry point with only `env` (and PATH) set, as `env -i` would, until it ends (or `timeoutMs`: then it
 * is killed and `code` is null). For start-up failures: the app ends by itself.
 */
export function runEntry(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<Ended> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--no-warnings', script],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface Running {
  child: ChildProcess;
  url: string;
  /** stderr so far. */
  stderr(): string;
  /** stdout so far (Nest's log, warnings included). */
  stdout(): string;
  /** Resolves with the exit status (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built app with only `env` (and PATH) set; resolves once it listens (rejects if it ends first). */
export async function startApi(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--no-warnings', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /^ufs api listening on (\S+)/.exec(line);
      if (found) resolve(found[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`the API ended (${code}) before listening:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr, stdout: () => stdout, exited };
}
