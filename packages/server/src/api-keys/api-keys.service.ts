import { Inject, Injectable } from '@nestjs/common';
import { UfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type ApiKeyRecord, type MetadataStore, type Scope } from '../store/store.js';
import { createApiKey, type CreatedApiKey, type NewKeyOptions } from './bootstrap.js';
import { KeyCache } from './key-cache.js';
import { hashApiKey, hashesEqual, isApiKeyFormat } from './key-hash.js';
import { RateLimiter } from './rate-limiter.js';

function unauthenticated(why: string): UfsError {
  return new UfsError('PERMISSION_DENIED', `[ufs] ${why}`, { context: { reason: 'unauthenticated' } });
}

/** API keys: created by admins, stored as hashes, checked on every request, revocable. */
@Injectable()
export class ApiKeysService {
  private readonly cache: KeyCache;

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
  ) {
    this.cache = new KeyCache(config.keyCacheMs);
  }

  /** The active key record for an `X-API-Key` header value; 401 (PERMISSION_DENIED/unauthenticated) otherwise. */
  async authenticate(header: unknown): Promise<ApiKeyRecord> {
    if (header === undefined) throw unauthenticated('missing X-API-Key header');
    if (!isApiKeyFormat(header)) throw unauthenticated('invalid API key');
    const keyHash = hashApiKey(header);
    const now = Date.now();
    let record = this.cache.get(keyHash, now);
    if (!record) {
      // Only a record read from the store starts a cache entry: a key in constant use is still read again each
      // keyCacheMs, so a revocation on another replica reaches this one.
      record = (await this.store.findApiKeyByHash(keyHash)) ?? undefined;
      if (record && hashesEqual(record.key_hash, keyHash)) this.cache.set(keyHash, record, now);
    }
    if (!record || !hashesEqual(record.key_hash, keyHash)) throw unauthenticated('invalid API key');
    if (!record.is_active) throw unauthenticated('API key has been revoked');
    const last = record.last_used_at ? Date.parse(record.last_used_at) : 0;
    if (now - last >= this.config.keyTouchIntervalMs) {
      const iso = new Date(now).toISOString();
      await this.store.updateApiKey(record.id, { last_used_at: iso });
      record.last_used_at = iso;
    }
    return record;
  }

  /**
   * A new key; its scopes and its rate limit may not exceed the creator's. A key made by a rate-limited key without a
   * limit of its own gets the creator's limit when the server default would be higher (or none).
   */
  create(creator: ApiKeyRecord, options: NewKeyOptions): Promise<CreatedApiKey> {
    const scopes: Scope[] = [...(options.scopes ?? ['read', 'write'])];
    const extra = scopes.filter((s) => !creator.scopes.includes(s));
    if (extra.length) {
      throw new UfsError('PERMISSION_DENIED', `[ufs] cannot grant scopes this key does not have: ${extra.join(', ')}`);
    }
    let rateLimitPerMinute = options.rateLimitPerMinute ?? null;
    const serverDefault = this.config.rateLimitPerMinute;
    const creatorLimit = this.limiter.limitOf(creator);
    if (creatorLimit > 0) {
      if (rateLimitPerMinute !== null && rateLimitPerMinute > creatorLimit) {
        throw new UfsError(
          'PERMISSION_DENIED',
          `[ufs] cannot grant a rate limit of ${rateLimitPerMinute} requests per minute: this API key is limited to ${creatorLimit}`,
        );
      }
      if (rateLimitPerMinute === null && (serverDefault === 0 || serverDefault > creatorLimit)) {
        rateLimitPerMinute = creatorLimit;
      }
    }
    return createApiKey(this.store, { ...options, scopes, rateLimitPerMinute });
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys();
  }

  async revoke(id: string): Promise<void> {
    const found = await this.store.updateApiKey(id, { is_active: false });
    this.cache.forget(id); // after the write: a request in between could have cached the record again
    if (!found) throw this.notFound(id);
  }

  async remove(id: string): Promise<void> {
    const found = await this.store.deleteApiKey(id);
    this.cache.forget(id);
    if (!found) throw this.notFound(id);
  }

  private notFound(id: string): UfsError {
    return new UfsError('NOT_FOUND', `[ufs] no API key with id ${JSON.stringify(id.slice(0, 100))}`);
  }
}
