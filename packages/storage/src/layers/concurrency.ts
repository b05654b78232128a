import pLimit from 'p-limit';
import { UfsError, type Layer } from '@org/core';
import { interceptBackend } from './intercept.js';

export interface ConcurrencyLayer extends Layer {
  /** Operations running now. */
  readonly active: number;
  /** Operations waiting for a slot. */
  readonly pending: number;
}

/**
 * At most `limit` operations of the wrapped backend run at once; the others wait in order. The limiter is created
 * once, so every backend this layer wraps shares it. A `read` holds its slot while the stream is opened, not while
 * it is consumed (holding it would deadlock a copy between two keys of one mount under a limit of 1).
 */
export function concurrencyLayer(limit: number): ConcurrencyLayer {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] concurrency layer: "limit" must be a positive integer, got ${String(limit)}`,
    );
  }
  const limiter = pLimit(limit);
  const layer: Layer = (inner) => interceptBackend(inner, (_call, next) => limiter(() => next()));
  return Object.defineProperties(layer, {
    active: { get: () => limiter.activeCount },
    pending: { get: () => limiter.pendingCount },
  }) as ConcurrencyLayer;
}
