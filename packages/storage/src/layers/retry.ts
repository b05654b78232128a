import { retry, type Layer, type RetryPolicy } from '@org/core';
import { isReplayable } from '../util/replayable.js';
import { interceptBackend, signalOf, type BackendOperation } from './intercept.js';

export type RetryLayerOptions = Omit<RetryPolicy, 'signal'>;

/**
 * Operations that give the same result when repeated, so a retry after a lost answer is safe.
 * `read` retries opening the stream only: an error in the middle of a stream reaches the reader.
 * `delete` is idempotent because deleting a missing key succeeds. `rename` and `append` are never retried (a
 * repeat after a lost answer would fail or append twice); `write` only when its source is replayable.
 */
const IDEMPOTENT: ReadonlySet<BackendOperation> = new Set<BackendOperation>([
  'stat',
  'read',
  'list',
  'delete',
  'mkdir',
  'copy',
  'presignGet',
  'presignPut',
  'versions',
  'setMetadata',
  'localPath',
]);

/** True when the retry layer would retry this operation (for a write: when its source can be read again). */
export function isRetrySafe(op: BackendOperation, args: readonly unknown[]): boolean {
  return IDEMPOTENT.has(op) || (op === 'write' && isReplayable(args[1]));
}

/**
 * Retries retryable failures (UfsError.retryable: UNAVAILABLE, RATE_LIMITED, TIMEOUT, network errors) with
 * exponential backoff and jitter via core `retry()`, honouring Retry-After and the caller's AbortSignal.
 */
export function retryLayer(options: RetryLayerOptions = {}): Layer {
  return (inner) =>
    interceptBackend(inner, (call, next) => {
      if (!isRetrySafe(call.op, call.args)) return next();
      return retry(() => next(), { ...options, signal: signalOf(call) });
    });
}
