import { toUfsError } from '../errors/classify.js';
import { UfsError, describeContext, type ErrorContext } from '../errors/ufs-error.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number;
  /** Delay before the first retry, before jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of one computed backoff delay. Default 20 s. */
  maxDelayMs?: number;
  /** Growth factor per attempt. Default 2. */
  factor?: number;
  /** `full`: uniform in [0, delay]; `equal`: delay/2 + uniform in [0, delay/2]; `none`. Default `full`. */
  jitter?: 'full' | 'equal' | 'none';
  /** Longest `Retry-After` honoured; a longer one ends retrying. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Overall budget in ms from the first attempt: no retry starts that would wait past it. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Which errors to retry. Default: `toUfsError(err).retryable`. */
  retryOn?: (error: UfsError, attempt: number) => boolean;
  /** Called before each wait. */
  onRetry?: (info: { error: UfsError; attempt: number; delayMs: number }) => void;
  /** Source of randomness (tests). */
  random?: () => number;
  /** Sleep function (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface AttemptInfo {
  /** 1 for the first attempt. */
  attempt: number;
  signal?: AbortSignal;
}

/** The backoff delay before retry number `attempt` (1 = first retry), jitter included. */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}, random: () => number = Math.random): number {
  const base = policy.baseDelayMs ?? 250;
  const cap = policy.maxDelayMs ?? 20_000;
  const raw = Math.min(cap, base * (policy.factor ?? 2) ** (attempt - 1));
  switch (policy.jitter ?? 'full') {
    case 'none':
      return raw;
    case 'equal':
      return raw / 2 + random() * (raw / 2);
    default:
      return random() * raw;
  }
}

/**
 * The error for a fired signal: TIMEOUT when its reason is a TimeoutError, else ABORTED. With a context (the failed
 * attempt's: provider, operation, path) the message says where, e.g. `[ufs] [0x0] upload "a.bin": aborted`.
 */
function abortError(signal: AbortSignal, context: ErrorContext = {}, when = ''): UfsError {
  const reason: unknown = signal.reason;
  // Duck-typed: the DOMException of AbortSignal.timeout() may come from another realm.
  const timeout =
    typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
  return new UfsError(
    timeout ? 'TIMEOUT' : 'ABORTED',
    `${describeContext(context)} ${timeout ? 'timed out' : 'aborted'}${when}`,
    { cause: reason, context, retryable: false },
  );
}

/**
 * A duration in milliseconds for messages: whole seconds from 10 s (`3600 s`), one decimal below (`0.3 s`, `2.5 s`,
 * `2 s` for 2000), milliseconds below 0.1 s (`40 ms`), so a short timeout never reads as `0 s`. Rounded to the
 * nearest unit shown (9960 ms is `10 s`).
 */
export function formatSeconds(ms: number): string {
  const whole = Math.round(ms);
  if (Math.abs(whole) < 100) return `${whole} ms`;
  const tenths = Math.round(ms / 100);
  return `${Math.abs(tenths) < 100 ? tenths / 10 : Math.round(ms / 1000)} s`;
}

/** A sleep that ends early (rejecting with ABORTED) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, attempts run out, the deadline would pass or the
 * signal aborts. Honours `Retry-After` (UfsError.retryAfterMs). The error thrown is the last one, as a UfsError
 * with `attempts` in its context.
 */
export async function retry<T>(fn: (info: AttemptInfo) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 4);
  const started = Date.now();
  const random = policy.random ?? Math.random;
  const wait = policy.sleep ?? sleep;
  const retryOn = policy.retryOn ?? ((error: UfsError) => error.retryable);
  for (let attempt = 1; ; attempt++) {
    if (policy.signal?.aborted) throw abortError(policy.signal);
    try {
      return await fn({ attempt, signal: policy.signal });
    } catch (err) {
      const error = toUfsError(err);
      // The attempt's context (provider, operation, path) stays in the message of the abort.
      if (policy.signal?.aborted) throw abortError(policy.signal, { ...error.context, attempts: attempt });
      const final = () => error.withContext({ attempts: attempt });
      if (attempt >= maxAttempts || !retryOn(error, attempt)) throw final();
      let delayMs = backoffDelay(attempt, policy, random);
      if (error.retryAfterMs !== undefined) {
        const cap = policy.maxRetryAfterMs ?? 60_000;
        if (error.retryAfterMs > cap) {
          // Giving up on a retryable error: say why, or the caller sees a transient error that was never retried.
          throw new UfsError(
            error.code,
            `${error.message} (the server asked to retry after ${formatSeconds(error.retryAfterMs)}, more than the ${formatSeconds(cap)} limit)`,
            {
              context: { ...error.context, attempts: attempt },
              cause: error.cause,
              retryable: error.retryable,
              retryAfterMs: error.retryAfterMs,
            },
          );
        }
        delayMs = error.retryAfterMs;
      }
      if (policy.deadlineMs !== undefined && Date.now() - started + delayMs > policy.deadlineMs) throw final();
      policy.onRetry?.({ error, attempt, delayMs });
      try {
        await wait(delayMs, policy.signal);
      } catch (waitErr) {
        if (policy.signal?.aborted) {
          throw abortError(policy.signal, { ...error.context, attempts: attempt }, ' while waiting to retry');
        }
        throw waitErr;
      }
    }
  }
}
