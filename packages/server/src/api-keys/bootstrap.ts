import { randomBytes } from 'node:crypto';
import { UfsError, keyNameProblem } from '@org/core';
import { SCOPES, type ApiKeyRecord, type MetadataStore, type Scope } from '../store/store.js';
import { generateApiKey, hashApiKey } from './key-hash.js';

export interface CreatedApiKey {
  /** The plaintext key: shown once, never stored. */
  apiKey: string;
  record: ApiKeyRecord;
}

export interface NewKeyOptions {
  name: string;
  description?: string | null;
  scopes?: readonly Scope[];
  rateLimitPerMinute?: number | null;
}

/**
 * Creates a key directly in the store (the one place keys are made; the HTTP endpoint calls it too). A name that
 * `keyNameProblem` refuses is INVALID_INPUT, nothing written.
 */
export async function createApiKey(store: MetadataStore, options: NewKeyOptions): Promise<CreatedApiKey> {
  const problem = keyNameProblem(options.name);
  if (problem)
    throw new UfsError('INVALID_INPUT', `[ufs] API key name ${problem}`, { context: { operation: 'create API key' } });
  const apiKey = generateApiKey();
  const record: ApiKeyRecord = {
    id: randomBytes(12).toString('hex'),
    key_hash: hashApiKey(apiKey),
    name: options.name,
    description: options.description ?? null,
    scopes: [...(options.scopes ?? ['read', 'write'])],
    created_at: new Date().toISOString(),
    last_used_at: null,
    is_active: true,
    rate_limit_per_minute: options.rateLimitPerMinute ?? null,
  };
  await store.insertApiKey(record);
  return { apiKey, record };
}

/**
 * The first key of a server, with every scope (admin included). Called by an administrator with direct access to
 * the store (`ufs server key create --bootstrap`); there is no unauthenticated HTTP path to it.
 */
export function createBootstrapKey(store: MetadataStore, options: Partial<NewKeyOptions> = {}): Promise<CreatedApiKey> {
  return createApiKey(store, {
    name: options.name ?? 'bootstrap',
    description: options.description ?? 'created with --bootstrap',
    scopes: options.scopes ?? SCOPES,
    rateLimitPerMinute: options.rateLimitPerMinute ?? null,
  });
}
