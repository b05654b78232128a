import type { ApiKeyRecord } from '../store/store.js';

/** Most entries kept; beyond that the cache starts afresh (only valid, active keys are ever cached). */
const MAX_ENTRIES = 1000;

/**
 * A short-lived memory of active API key records by key hash, so that a busy client's requests do not each read the
 * key from the store (that read was a fifth of the server's CPU under `put_file` load). Revoking, deleting or
 * changing a key on this replica drops it at once; other replicas see the change within `ttlMs`. Nothing here is
 * state another replica needs: every entry is a copy of the store's record.
 */
export class KeyCache {
  private readonly entries = new Map<string, { record: ApiKeyRecord; until: number }>();

  constructor(private readonly ttlMs: number) {}

  get(keyHash: string, now: number): ApiKeyRecord | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.until > now) return entry.record;
    this.entries.delete(keyHash);
    return undefined;
  }

  set(keyHash: string, record: ApiKeyRecord, now: number): void {
    if (this.ttlMs <= 0 || !record.is_active) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyHash, { record, until: now + this.ttlMs });
  }

  /** Drops the key with this id (revoked, deleted or changed here). */
  forget(id: string): void {
    for (const [hash, entry] of this.entries) if (entry.record.id === id) this.entries.delete(hash);
  }
}
