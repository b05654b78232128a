import { once } from 'node:events';
import { EXIT_CODE_BY_CODE, UfsError, classifyNodeError } from '@org/core';

/**
 * stdout closed by its reader (`ufs cat big | head -c 10`, `ufs ls -r | head`). A C tool dies of SIGPIPE there, which
 * a shell reports as 141 (128 + 13) with no message; Node ignores SIGPIPE and gets EPIPE instead, so ufs stops quietly
 * with that same status. oclif swallows the EPIPE `error` event of stdout; this records it.
 */
export const BROKEN_PIPE_STATUS = 141;

/** The status of a write error on stdout with no code of its own (EX_IOERR). */
const IO_ERROR_STATUS = 74;

let failure: NodeJS.ErrnoException | undefined;
const listeners = new Set<() => void>();

function record(err: unknown): void {
  if (failure) return;
  failure = (err ?? new Error('stdout failed')) as NodeJS.ErrnoException;
  for (const listener of listeners) listener();
}

/**
 * Calls `listener` once stdout fails (at once if it has): a command stops work whose results nobody would see.
 * Returns the function that removes it.
 */
export function whenStdoutFails(listener: () => void): () => void {
  if (stdoutBroken()) {
    listener();
    return () => undefined;
  }
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * Starts watching stdout for write errors (at start-up, and again once a command is loaded: oclif's `Command`
 * module installs its listener when it loads): EPIPE, and any other (ENOSPC,
 * EIO, …). oclif's own listener, installed when it loads, swallows EPIPE and rethrows every other error from the
 * stream's event: `ufs upload a > /dev/full` ended with an uncaught ENOSPC and its stack. It is replaced by this one,
 * which records the error for `stdoutFailure`.
 */
export function watchStdout(): void {
  for (const listener of process.stdout.listeners('error')) {
    if (listener !== record) process.stdout.off('error', listener as (err: Error) => void);
  }
  if (!process.stdout.listeners('error').includes(record)) process.stdout.on('error', record);
}

/** True once stdout can take no more: its reader has gone (EPIPE), or a write failed (`> /dev/full`: ENOSPC). */
export function stdoutBroken(): boolean {
  return failure !== undefined || (process.stdout.destroyed && !process.stdout.writableFinished);
}

/**
 * How the command ends because of stdout, if it must: a reader that went away is 141 with no message (as SIGPIPE);
 * any other write error is one line naming it (`[ufs] cannot write to stdout: no space left on device (ENOSPC)`)
 * and the status of its code (ENOSPC: UNAVAILABLE, 69; an error with no known code: 74, EX_IOERR).
 */
export function stdoutFailure(): { status: number; message?: string } | undefined {
  if (!stdoutBroken()) return undefined;
  const code = failure?.code;
  if (!failure || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return { status: BROKEN_PIPE_STATUS };
  const known = classifyNodeError(failure);
  const what = known?.what ?? failure.message.replace(/^\w+:\s*/, '').split('\n')[0];
  return {
    status: known ? EXIT_CODE_BY_CODE[known.code] : IO_ERROR_STATUS,
    message: `[ufs] cannot write to stdout: ${what}${code ? ` (${code})` : ''}`,
  };
}

let reported = false;

/**
 * The exit status when stdout failed (see `stdoutFailure`), its message printed on stderr the first time; undefined
 * when stdout is fine.
 */
export function stdoutEndStatus(): number | undefined {
  const ended = stdoutFailure();
  if (!ended) return undefined;
  if (ended.message && !reported) process.stderr.write(`${ended.message}\n`);
  reported = true;
  return ended.status;
}

/**
 * Runs a write to stdout, recording the error it throws: a file on stdout is written synchronously, so `> /dev/full`
 * throws ENOSPC from `write()` itself (a pipe reports its errors as events instead, see `watchStdout`).
 */
export function guardStdout(write: () => void): void {
  if (stdoutBroken()) return;
  try {
    write();
  } catch (err) {
    record(err);
  }
}

/** Writes to stdout; a write error is recorded, never thrown (the command ends with `stdoutFailure()`). */
export function writeStdout(text: string): boolean {
  let ok = false;
  guardStdout(() => {
    ok = process.stdout.write(text, (err) => err && record(err));
  });
  return ok;
}

/** Writes to stdout and waits while its buffer is full (so a slow reader never makes ufs hold a whole listing). */
export async function writeOut(text: string): Promise<void> {
  if (stdoutBroken()) return;
  if (writeStdout(text)) return;
  await drained();
}

/**
 * Streams `source` to stdout without ending it (the next file follows), waiting while its buffer is full. Leaves no
 * listener on stdout behind: `pipeline(source, process.stdout, { end: false })` left five per call, and a `cat` of
 * eleven files printed MaxListenersExceededWarning. Throws once stdout can take no more (the command then ends
 * with `stdoutFailure()`); leaving the loop destroys the source.
 */
export async function streamOut(source: AsyncIterable<Uint8Array | string>): Promise<void> {
  for await (const chunk of source) {
    if (stdoutBroken()) throw new UfsError('ABORTED', '[ufs] stdout was closed by its reader');
    let ok = false;
    guardStdout(() => {
      ok = process.stdout.write(chunk, (err) => err && record(err));
    });
    if (!ok) await drained();
  }
  if (stdoutBroken()) throw new UfsError('ABORTED', '[ufs] stdout was closed by its reader');
}

/**
 * Resolves once what was written to stdout is handed to the OS, or stdout has failed (never hangs on a closed pipe).
 * Also lets an error of the last write (reported a tick later) be seen before the command ends: `ufs upload a |
 * (exec 0<&-; sleep 3)` ended 0, its EPIPE unseen.
 */
export async function drained(): Promise<void> {
  const out = process.stdout;
  if (!stdoutBroken() && out.writableNeedDrain) {
    const controller = new AbortController();
    try {
      await Promise.race([
        once(out, 'drain', { signal: controller.signal }),
        once(out, 'close', { signal: controller.signal }),
        // `once` for 'drain' rejects on 'error' too: a broken pipe ends the wait either way
      ]);
    } catch {
      // an error event (EPIPE): the reader is gone, nothing more to wait for
    } finally {
      controller.abort();
    }
  }
  // A write's error event comes after its callback, on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
}
