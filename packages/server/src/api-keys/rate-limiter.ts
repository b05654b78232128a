import { Inject, Injectable } from '@nestjs/common';
import { UfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type ApiKeyRecord, type MetadataStore } from '../store/store.js';

const WINDOW_MS = 60_000;

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

  async check(key: ApiKeyRecord, now = Date.now()): Promise<void> {
    const limit = key.rate_limit_per_minute ?? this.config.rateLimitPerMinute;
    if (!limit) return;
    const window = Math.floor(now / WINDOW_MS);
    const count = await this.store.incrementCounter(`rl:${key.id}:${window}`, new Date((window + 2) * WINDOW_MS));
    if (count > limit) {
      const retryAfterMs = (window + 1) * WINDOW_MS - now;
      throw new UfsError('RATE_LIMITED', `[ufs] rate limit of ${limit} requests per minute exceeded for this API key`, {
        retryAfterMs,
      });
    }
  }
}
