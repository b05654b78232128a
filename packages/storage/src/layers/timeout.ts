import { Readable } from 'node:stream';
import { UfsError, describeContext, type Layer } from '@org/core';
import { keyContext } from '../errors.js';
import { interceptBackend, signalOf, withSignal, type BackendOperation } from './intercept.js';

export interface TimeoutLayerOptions {
  /** Milliseconds each operation may take. */
  ms: number;
  /** Per-operation limits overriding `ms` (e.g. a longer one for `write`); 0 means no limit. */
  operations?: Partial<Record<BackendOperation, number>>;
  /**
   * The mount the layer is on (the manager passes it): its errors then name the key as the mount's other errors do,
   * `[ufs] [s3] read "photos:a.jpg": timed out after 5000 ms`. Without it, the protocol and the bare key.
   */
  mount?: string;
}

/**
 * Fails an operation with TIMEOUT (retryable) when it takes longer than its limit, and aborts the backend's work
 * through the AbortSignal it receives. For `read` the limit covers opening the stream, not reading it to the end;
 * for `write` it covers the whole upload, so give `write` its own limit for large files.
 */
export function timeoutLayer(options: TimeoutLayerOptions): Layer {
  if (!(options.ms > 0)) throw new UfsError('INVALID_INPUT', `[ufs] timeout layer: "ms" must be a positive number`);
  return (inner) =>
    interceptBackend(inner, async (call, next) => {
      const limit = options.operations?.[call.op] ?? options.ms;
      if (!limit) return next();
      const controller = new AbortController();
      const outer = signalOf(call);
      const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const work = next(withSignal(call, signal));
      const expiry = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          const context =
            options.mount === undefined
              ? { backend: inner.protocol, operation: call.op, path: call.key }
              : keyContext({ mount: options.mount, protocol: inner.protocol }, call.op, call.key);
          const error = new UfsError('TIMEOUT', `${describeContext(context)} timed out after ${limit} ms`, {
            context,
            retryable: true,
          });
          controller.abort(error);
          reject(error);
        }, limit);
      });
      // A late result of an operation that timed out is released, never left dangling.
      work.then(
        (value) => {
          if (timedOut && value instanceof Readable) value.destroy();
        },
        () => undefined,
      );
      try {
        return await Promise.race([work, expiry]);
      } finally {
        clearTimeout(timer);
      }
    });
}
