import type { ApiKeyRecord, ContentRecord, FileRecord, Scope, UploadSession } from '../store/store.js';

/** Conversions between MongoDB documents (lean) and store records. */
type WithId = { _id: unknown };

export function fileFromDoc(doc: WithId & Omit<FileRecord, 'id'> & { content_missing?: boolean }): FileRecord {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the store's own field (content-gaps.ts)
  const { _id, content_missing, ...rest } = doc;
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

/**
 * The index (in the operations sent) of the upsert that failed with a duplicate key in an ORDERED bulk write, whose
 * only write error it is; undefined for any other error.
 */
export function duplicateKeyIndex(err: unknown): number | undefined {
  const writeErrors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  if (!Array.isArray(writeErrors) || writeErrors.length !== 1) return undefined;
  // The driver's WriteError has getters over `err`; read both.
  const first = writeErrors[0] as { index?: unknown; code?: unknown; err?: { index?: unknown; code?: unknown } };
  const index = first.index ?? first.err?.index;
  const code = first.code ?? first.err?.code;
  return code === 11000 && typeof index === 'number' && Number.isInteger(index) && index >= 0 ? index : undefined;
}

/** The driver reached no server: network, server selection, not connected (also when a bulk write wraps it). */
export function isUnreachable(err: unknown): boolean {
  // A bulk write that failed for a reason other than its writes wraps the driver's error in `errorResponse`.
  const inner = (err as { errorResponse?: unknown } | null)?.errorResponse;
  return [err, inner].some((e) =>
    /MongoNetwork|MongoServerSelection|MongoNotConnected/.test(String((e as { name?: unknown } | null)?.name ?? '')),
  );
}

export function isObjectIdHex(id: string): boolean {
  return /^[0-9a-f]{24}$/.test(id);
}
