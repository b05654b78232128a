import { UfsError } from '@org/core';
import type { ApiKeyRecord, UploadSession } from '../../store/store.js';

/**
 * Where a session records the id of the API key that created it, among its metadata: stored with the session (in the
 * metadata store), so every replica, and a restarted server, binds the upload to that key. A client's metadata key
 * matches [A-Za-z0-9_.-] (parseUploadMetadata), so it can never be this one, nor any other `tus:` key.
 */
export const OWNER_METADATA = 'tus:owner';

/** The key of a tus request: the upload's creator, or the key that asks for one. */
export interface TusCaller {
  keyId: string;
  /** An admin-scoped key may terminate (DELETE) an upload another key created. */
  admin: boolean;
}

/** The caller of a tus route: the key the guard authenticated (every tus route but OPTIONS needs one). */
export function tusCaller(key: ApiKeyRecord | undefined): TusCaller {
  if (!key) throw new UfsError('UNEXPECTED', '[ufs] [tus] a tus request answered without an API key');
  return { keyId: key.id, admin: key.scopes.includes('admin') };
}

/**
 * Whether `caller` may use the upload (HEAD, PATCH: only the key that created it) or, for `terminate`, DELETE it
 * (also an admin key). An upload created before uploads were bound to keys records no owner: any write key may.
 */
export function mayAccess(session: UploadSession, caller: TusCaller, action: 'use' | 'terminate'): boolean {
  const owner = session.metadata[OWNER_METADATA];
  if (owner === undefined) return true;
  return owner === caller.keyId || (action === 'terminate' && caller.admin);
}

/** The metadata the client sent: without the server's own `tus:` entries (the owner, the raw header). */
export function clientMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith('tus:')));
}
