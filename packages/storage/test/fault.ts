import { sleep, UfsError, type StorageBackend } from '@org/core';
import { interceptBackend, type BackendOperation } from '../src/index.js';

/**
 * Fault injection by wrapping a real backend: the first `failures` calls of each listed operation fail with a
 * retryable UNAVAILABLE (after consuming part of a write's source, like a dropped connection would), then calls go
 * through. `calls` counts attempts per operation.
 */
export function flaky(inner: StorageBackend, operations: BackendOperation[], failures: number) {
  const calls: Partial<Record<BackendOperation, number>> = {};
  const backend = interceptBackend(inner, async (call, next) => {
    const n = (calls[call.op] = (calls[call.op] ?? 0) + 1);
    if (operations.includes(call.op) && n <= failures) {
      if (call.op === 'write') {
        const iterator = (call.args[1] as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        await iterator.next();
        await iterator.return?.();
      }
      throw new UfsError('UNAVAILABLE', `[ufs] [flaky] ${call.op} "${call.key}": injected failure ${n}`);
    }
    return next();
  });
  return { backend, calls };
}

/** Delays each listed operation (abortably); records the signals it received and the most operations in flight at once. */
export function slow(inner: StorageBackend, ms: number, operations?: BackendOperation[]) {
  const state = { inFlight: 0, maxInFlight: 0, signals: [] as (AbortSignal | undefined)[] };
  const backend = interceptBackend(inner, async (call, next) => {
    if (operations && !operations.includes(call.op)) return next();
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    const options = call.args[1] as { signal?: AbortSignal } | undefined;
    state.signals.push(options?.signal);
    try {
      await sleep(ms, options?.signal); // ends early (ABORTED) when the caller's signal aborts
      return await next();
    } finally {
      state.inFlight--;
    }
  });
  return { backend, state };
}
