import { Inject, Injectable } from '@nestjs/common';
import { UfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type ApiKeyRecord, type MetadataStore, type Scope } from '../store/store.js';
import { createApiKey, type CreatedApiKey, type NewKeyOptions } from './bootstrap.js';
import { hashApiKey, hashesEqual, isApiKeyFormat } from './key-hash.js';

function unauthenticated(why: string): UfsError {
  return new UfsError('PERMISSION_DENIED', `[ufs] ${why}`, { context: { reason: 'unauthenticated' } });
}

/** API keys: created by admins, stored as hashes, checked on every request, revocable. */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  /** The active key record for an `X-API-Key` header value; 401 (PERMISSION_DENIED/unauthenticated) otherwise. */
  async authenticate(header: unknown): Promise<ApiKeyRecord> {
    if (header === undefined) throw unauthenticated('missing X-API-Key header');
    if (!isApiKeyFormat(header)) throw unauthenticated('invalid API key');
    const keyHash = hashApiKey(header);
    const record = await this.store.findApiKeyByHash(keyHash);
    if (!record || !hashesEqual(record.key_hash, keyHash)) throw unauthenticated('invalid API key');
    if (!record.is_active) throw unauthenticated('API key has been revoked');
    const now = Date.now();
    const last = record.last_used_at ? Date.parse(record.last_used_at) : 0;
    if (now - last >= this.config.keyTouchIntervalMs) {
      const iso = new Date(now).toISOString();
      await this.store.updateApiKey(record.id, { last_used_at: iso });
      record.last_used_at = iso;
    }
    return record;
  }

  /** A new key; its scopes may not exceed the creator's. */
  create(creator: ApiKeyRecord, options: NewKeyOptions): Promise<CreatedApiKey> {
    const scopes: Scope[] = [...(options.scopes ?? ['read', 'write'])];
    const extra = scopes.filter((s) => !creator.scopes.includes(s));
    if (extra.length) {
      throw new UfsError('PERMISSION_DENIED', `[ufs] cannot grant scopes this key does not have: ${extra.join(', ')}`);
    }
    return createApiKey(this.store, { ...options, scopes });
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys();
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.store.updateApiKey(id, { is_active: false }))) throw this.notFound(id);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.deleteApiKey(id))) throw this.notFound(id);
  }

  private notFound(id: string): UfsError {
    return new UfsError('NOT_FOUND', `[ufs] no API key with id ${JSON.stringify(id.slice(0, 100))}`);
  }
}
