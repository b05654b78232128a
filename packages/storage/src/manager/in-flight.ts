import { Readable } from 'node:stream';
import type { StorageBackend } from '@org/core';
import { interceptBackend } from '../layers/intercept.js';

/**
 * Counts a backend's operations in flight, a read until its stream closes, so that a mount that was replaced or
 * removed closes its backend (clients, connections) only once the work started on it has ended.
 */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  /** The backend with every operation counted. */
  layer(inner: StorageBackend): StorageBackend {
    return interceptBackend(inner, async (call, next) => {
      this.#count++;
      let handedOver = false;
      try {
        const result = await next();
        if (call.op === 'read' && result instanceof Readable && !result.closed) {
          handedOver = true;
          result.once('close', () => this.#done());
        }
        return result;
      } finally {
        if (!handedOver) this.#done();
      }
    });
  }

  /** Resolves when no operation is in flight. */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #done(): void {
    if (--this.#count > 0) return;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
