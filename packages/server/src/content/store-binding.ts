// The binding of a metadata store to its content mount, as restic ties its index to its repository: the store keeps
// a random id (setting STORE_ID_SETTING), the mount a small marker object naming the store it belongs to. A server
// started on a store that is not the mount's own (a typo in the data folder makes a new, empty one; a lost store; an
// empty store pointed at the real bucket) is refused before its gc can take every object for an orphan.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { isUfsError, type StorageBackend } from '@org/core';
import type { Refuse } from '../start-checks.js';
import type { MetadataStore } from '../store/store.js';
import { ContentStore } from './content-store.js';

/** The marker's key at the mount root: never a content key (those are `aa/aabb…`), never a temporary one. */
export const STORE_MARKER_KEY = '_ufs-store.json';
/** The store's setting holding its id. */
export const STORE_ID_SETTING = 'store_id';

interface Marker {
  ufs: 'content mount';
  /** The stores this content belongs to (replicas share one store, so one id). */
  stores: string[];
}

export interface BindOptions {
  /** Words the refusal, naming the setting of the content mount. */
  refuse: Refuse;
  /** Make the mount this store's even when it belongs to another (or holds content no record of this store names). */
  adopt?: boolean;
  /** How an operator asks for `adopt`, for the refusal (`--adopt-content`, `UFS_ADOPT_CONTENT=true`). */
  adoptHint: string;
}

export interface Binding {
  storeId: string;
  /** What was done, for the start's log (a marker written or taken over); undefined when the marker named the store. */
  note?: string;
}

async function readMarker(backend: StorageBackend): Promise<{ stores: string[] } | 'unreadable' | undefined> {
  let text: string;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await backend.read(STORE_MARKER_KEY)) chunks.push(Buffer.from(chunk as Uint8Array));
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (isUfsError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Marker>;
    if (Array.isArray(parsed.stores) && parsed.stores.every((id) => typeof id === 'string'))
      return { stores: parsed.stores };
  } catch {
    // below
  }
  return 'unreadable';
}

async function writeMarker(backend: StorageBackend, storeId: string): Promise<void> {
  const marker: Marker = { ufs: 'content mount', stores: [storeId] };
  const body = Buffer.from(`${JSON.stringify(marker, null, 2)}\n`);
  await backend.write(STORE_MARKER_KEY, Readable.from([body]), { size: body.length });
}

/** Whether the mount holds at least one content object (the walk stops at the first). */
async function mountHoldsContent(backend: StorageBackend): Promise<boolean> {
  for await (const _ of new ContentStore(backend).walkContent()) return true;
  return false;
}

/**
 * Binds `store` to the content mount `backend` at start: the store's id (made once), and the mount's marker, which
 * must name it. A marker naming another store is refused (CONFIG_INVALID through `refuse`) unless `adopt`; without a
 * marker, one naming this store is written, except when the mount holds content and the store holds no content record
 * (a new store beside the content of another: refused unless `adopt`). A data folder of a version without markers
 * gets its marker at its first start (its store records content).
 */
export async function bindContentMount(
  store: MetadataStore,
  backend: StorageBackend,
  options: BindOptions,
): Promise<Binding> {
  const storeId = await store.getOrInsertSetting(STORE_ID_SETTING, randomUUID());
  const marker = await readMarker(backend);
  if (marker !== undefined && marker !== 'unreadable' && marker.stores.includes(storeId)) return { storeId };
  const adopt = `to make it this store's deliberately (gc then removes every object this store has no record of), start once with ${options.adoptHint}`;
  if (!options.adopt) {
    if (marker === 'unreadable')
      throw options.refuse(
        `holds a store marker "${STORE_MARKER_KEY}" that is not ufs's JSON: move it away if it is not ufs's, or, ${adopt}`,
      );
    if (marker !== undefined)
      throw options.refuse(
        `belongs to another ufs store (store ${marker.stores.join(', ')}; this store is ${storeId}): a typo in the ` +
          "data folder or a lost store? A store that is not the content's own sees all of it as orphans and its gc " +
          `would delete it. Start with the store this content belongs to; or, ${adopt}`,
      );
    const held = (await store.listContent({ limit: 1 })).items.length > 0;
    if (!held && (await mountHoldsContent(backend)))
      throw options.refuse(
        `holds content, but the metadata store (store ${storeId}) holds no record of any: a typo in the data ` +
          'folder, a store made anew or lost? Its gc would delete all of this content. Start with the store this ' +
          `content belongs to (restore it from a backup); or, ${adopt}`,
      );
  }
  await writeMarker(backend, storeId);
  if (marker === undefined) return { storeId, note: `content mount marked as the content of store ${storeId}` };
  const before = marker === 'unreadable' ? 'an unreadable marker' : `store ${marker.stores.join(', ')}`;
  return { storeId, note: `content mount adopted by store ${storeId} (it belonged to ${before})` };
}
