import { readFileSync } from 'node:fs';

/** The last `lines` lines of a text file, or a note saying why it could not be read. Never throws. */
export function tailFile(path: string, lines = 30): string {
  try {
    const text = readFileSync(path, 'utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${path}: ${(err as Error).message})`;
  }
}

/** Formats "--- last N lines of <file> ---" blocks for error messages. */
export function logTails(files: readonly string[], lines = 30): string {
  return files.map((f) => `--- last ${lines} lines of ${f} ---\n${tailFile(f, lines)}`).join('\n');
}

function duration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 1_000)} s`;
}

export interface WaitOptions {
  /** Name of what is awaited, used in the error ("radosgw did not answer GET / within 30 s"). */
  service: string;
  /** What the check waits for, e.g. "answer GET http://127.0.0.1:1234/". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Log files whose tails go into the error message. */
  logFiles?: readonly string[];
  /** Checked before each attempt: a returned string aborts the wait at once (e.g. "the daemon exited"). */
  abortIf?: () => string | undefined;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Calls `check` until it returns a value other than `undefined`/`false` (thrown errors count as "not yet"),
 * then returns that value. Throws an error naming the service, the last failure and the tail of its logs when
 * `timeoutMs` passes or `abortIf` reports a reason.
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const { service, what, timeoutMs = 30_000, intervalMs = 100, logFiles = [], abortIf } = options;
  const started = Date.now();
  let lastProblem = 'no attempt finished';
  for (;;) {
    const abortReason = abortIf?.();
    if (abortReason !== undefined) {
      throw new WaitTimeoutError(failureText(`${service} failed before it could ${what}: ${abortReason}`));
    }
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
      lastProblem = 'not ready yet';
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    if (Date.now() - started >= timeoutMs) {
      throw new WaitTimeoutError(
        failureText(`${service} did not ${what} within ${duration(timeoutMs)} (last: ${lastProblem})`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }

  function failureText(headline: string): string {
    return logFiles.length ? `${headline}\n${logTails(logFiles)}` : headline;
  }
}
