import { once } from 'node:events';
import { UfsError } from '@org/core';

/**
 * stdout closed by its reader (`ufs cat big | head -c 10`, `ufs ls -r | head`). A C tool dies of SIGPIPE there, which
 * a shell reports as 141 (128 + 13) with no message; Node ignores SIGPIPE and gets EPIPE instead, so ufs stops quietly
 * with that same status. oclif swallows the EPIPE `error` event of stdout; this records it.
 */
export const BROKEN_PIPE_STATUS = 141;

let broken = false;

/** Starts watching stdout for EPIPE (once, at start-up). */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err?.code === 'EPIPE') broken = true;
  });
}

/** True once the reader of stdout has gone. */
export function stdoutBroken(): boolean {
  return broken || (process.stdout.destroyed && !process.stdout.writableFinished);
}

/** Writes to stdout and waits while its buffer is full (so a slow reader never makes ufs hold a whole listing). */
export async function writeOut(text: string): Promise<void> {
  if (stdoutBroken()) return;
  if (process.stdout.write(text)) return;
  await drained();
}

/**
 * Streams `source` to stdout without ending it (the next file follows), waiting while its buffer is full. Leaves no
 * listener on stdout behind: `pipeline(source, process.stdout, { end: false })` left five per call, and a `cat` of
 * eleven files printed MaxListenersExceededWarning. Throws once the reader of stdout has gone (the command then ends
 * with BROKEN_PIPE_STATUS); leaving the loop destroys the source.
 */
export async function streamOut(source: AsyncIterable<Uint8Array | string>): Promise<void> {
  for await (const chunk of source) {
    if (stdoutBroken()) throw new UfsError('ABORTED', '[ufs] stdout was closed by its reader');
    if (!process.stdout.write(chunk)) await drained();
  }
  if (stdoutBroken()) throw new UfsError('ABORTED', '[ufs] stdout was closed by its reader');
}

/** Resolves once what was written to stdout is handed to the OS, or stdout has gone (never hangs on a closed pipe). */
export async function drained(): Promise<void> {
  const out = process.stdout;
  if (stdoutBroken() || !out.writableNeedDrain) return;
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
