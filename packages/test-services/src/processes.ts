import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { logTails } from './wait.js';

/** A long-running child process (a daemon kept in the foreground) whose output goes to a log file. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** File receiving the process's stdout and stderr. */
  readonly outputFile: string;
  /** Set once the process has exited: "exit code 1" / "signal SIGKILL". */
  exitReason(): string | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<void>;
}

export interface SpawnDaemonOptions {
  cwd: string;
  outputFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * util-linux `setpriv` (essential on Debian) sets the child's parent-death signal before it execs the daemon, so
 * the kernel kills the daemon when this process dies, however it dies (even SIGKILL, which runs no exit hooks).
 */
const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);

/**
 * Starts `command args` with stdin closed and stdout+stderr appended to `outputFile`. The daemon is killed when
 * this process dies (where `setpriv` exists; the pid is the daemon's own, setpriv execs it).
 */
export function spawnDaemon(name: string, command: string, args: string[], options: SpawnDaemonOptions): Daemon {
  const fd = openSync(options.outputFile, 'a');
  let child: ChildProcess;
  try {
    const [file, argv] = hasSetpriv ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
    child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let reason: string | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      reason = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      reason = `could not start ${command}: ${err.message}`;
      resolve();
    });
  });
  // The daemon must not keep this Node process alive on its own; stop() / the exit hooks end it.
  child.unref();
  if (child.pid === undefined) {
    throw new Error(`${name}: could not start ${command}${spawnError ? `: ${spawnError.message}` : ''}`);
  }
  return { name, pid: child.pid, outputFile: options.outputFile, exitReason: () => reason, exited };
}

/** True while `pid` is a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "State:\tZ (zombie)": dead, only waiting for its parent to collect it.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * True once `pid` is dead and, if it is our own child, also collected (Node reaps its children while the event
 * loop runs), so no `<defunct>` entry is left behind for `ps` to show.
 */
function isGone(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return true;
  }
  if (!/^State:\s+Z/m.test(status)) return false;
  return Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== process.pid;
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter((pid) => !isGone(pid));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = left.filter((pid) => !isGone(pid));
  }
  return left;
}

/**
 * Stops processes: SIGTERM to all, SIGKILL to those still alive after `graceMs`, then waits until they are gone.
 * Throws if a process survives SIGKILL for 10 s (should never happen).
 */
export async function stopPids(pids: readonly number[], graceMs: number): Promise<void> {
  const alive = pids.filter(isAlive);
  for (const pid of alive) signal(pid, 'SIGTERM');
  const stubborn = (await waitGone(alive, graceMs)).filter(isAlive);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const undead = (await waitGone(alive, 10_000)).filter(isAlive);
  if (undead.length) throw new Error(`processes ${undead.join(', ')} survived SIGKILL`);
}

/** Synchronous last resort (process 'exit' handlers): SIGKILL, no waiting. */
export function killPidsSync(pids: readonly number[]): void {
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
}

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  /** A description for errors: "create the S3 user". */
  step: string;
  /** Daemons that must stay alive while the command runs: if one exits, the command is abandoned at once. */
  watch?: readonly Daemon[];
  /** Log files whose tails are added to errors. */
  logFiles?: readonly string[];
}

/** Runs a command to completion and returns its stdout. Errors carry the output, exit reason and log tails. */
export function runCommand(command: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let settled = false;
    const timer = setTimeout(
      () => finish(`timed out after ${Math.round(options.timeoutMs / 1000)} s`),
      options.timeoutMs,
    );
    const watchTimer = setInterval(() => {
      const dead = options.watch?.find((d) => d.exitReason() !== undefined);
      if (dead) finish(`${dead.name} exited (${dead.exitReason() ?? ''}) meanwhile`);
    }, 100);
    child.once('error', (err) => finish(`could not start: ${err.message}`));
    child.once('close', (code, sig) => {
      if (code === 0) finish(undefined);
      else finish(sig ? `killed by ${sig}` : `exit code ${String(code)}`);
    });

    function finish(problem: string | undefined): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watchTimer);
      if (problem === undefined) {
        resolve(stdout);
        return;
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
      const logs = options.logFiles?.length ? `\n${logTails(options.logFiles)}` : '';
      reject(
        new Error(
          `could not ${options.step}: \`${[command, ...args].join(' ')}\` ${problem}` +
            (output ? `\n--- its output ---\n${output}` : '') +
            logs,
        ),
      );
    }
  });
}
