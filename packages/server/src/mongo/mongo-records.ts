import type { ApiKeyRecord, ContentRecord, FileRecord, Scope, UploadSession } from '../store/store.js';

/** Conversions between MongoDB documents (lean) and store records. */
type WithId = { _id: unknown };

export function fileFromDoc(doc: WithId & Omit<FileRecord, 'id'>): FileRecord {
  const { _id, ...rest } = doc;
  return { id: String(_id), ...rest, link_target: rest.link_target ?? null };
}

export function contentFromDoc(doc: WithId & Omit<ContentRecord, 'sha256'>): ContentRecord {
  return {
    sha256: String(doc._id),
    size: doc.size,
    state: doc.state,
    version: doc.version,
    uploaded_at: doc.uploaded_at,
    lease_until: doc.lease_until ?? null,
    verified_at: doc.verified_at ?? null,
  };
}

export function apiKeyFromDoc(doc: WithId & Omit<ApiKeyRecord, 'id'>): ApiKeyRecord {
  const { _id, ...rest } = doc;
  return {
    id: String(_id),
    ...rest,
    scopes: [...rest.scopes] as Scope[],
    description: rest.description ?? null,
    last_used_at: rest.last_used_at ?? null,
    rate_limit_per_minute: rest.rate_limit_per_minute ?? null,
  };
}

export function uploadFromDoc(doc: WithId & Omit<UploadSession, 'id'>): UploadSession {
  const { _id, ...rest } = doc;
  return { id: String(_id), ...rest, parts: rest.parts.map((p) => ({ start: p.start, size: p.size, key: p.key })) };
}

/** MongoDB duplicate-key error (unique index), the signal of a lost insert race. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export function isObjectIdHex(id: string): boolean {
  return /^[0-9a-f]{24}$/.test(id);
}
