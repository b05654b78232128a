import { Inject, Injectable } from '@nestjs/common';
import { UfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type ApiKeyRecord, type MetadataStore } from '../store/store.js';

const WINDOW_MS = 60_000;

/** Where a key stands in its window: what the `RateLimit-*` response headers tell. */
export interface RateLimitState {
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in this window (0 once the limit is reached or passed). */
  remaining: number;
  /** Seconds until the window ends and the count starts again (at least 1). */
  resetSeconds: number;
}

/**
 * Per-key rate limit: a fixed one-minute window whose counter lives in the metadata store, so every replica counts
 * into the same window (no process memory involved).
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  /** Requests per minute allowed to `key`; 0 when it is not limited. */
  limitOf(key: ApiKeyRecord): number {
    return key.rate_limit_per_minute ?? this.config.rateLimitPerMinute;
  }

  /**
   * Counts one request of `key` in the store's counter of the current window. Returns the key's state (undefined
   * when it is not limited) for the response headers; `onState` gets it before a RATE_LIMITED error is thrown, so
   * a 429 carries the headers too.
   */
  async check(
    key: ApiKeyRecord,
    now = Date.now(),
    onState?: (state: RateLimitState) => void,
  ): Promise<RateLimitState | undefined> {
    const limit = this.limitOf(key);
    if (!limit) return undefined;
    const window = Math.floor(now / WINDOW_MS);
    const count = await this.store.incrementCounter(`rl:${key.id}:${window}`, new Date((window + 2) * WINDOW_MS));
    const retryAfterMs = (window + 1) * WINDOW_MS - now;
    const state = {
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    };
    onState?.(state);
    if (count > limit) {
      throw new UfsError('RATE_LIMITED', `[ufs] rate limit of ${limit} requests per minute exceeded for this API key`, {
        retryAfterMs,
      });
    }
    return state;
  }
}
