import { isUfsError } from '@org/core';
import { serverFault } from '../../http/server-fault.js';
import type { MetadataStore } from '../../store/store.js';
import { TUS_PREFIX, type ContentStore } from '../content-store.js';

/**
 * Removes the empty upload folders (`_tus/<id>/`) older versions left behind on a mount with real folders (a local
 * one): those last changed before `cutoff` (ms) whose id no upload session names. A folder is removed only when
 * empty (removeFolder): one that holds a part stays. `skip`: ids already handled by this run.
 */
export async function removeEmptyUploadFolders(
  content: ContentStore,
  store: MetadataStore,
  cutoff: number,
  skip: ReadonlySet<string> = new Set(),
): Promise<number> {
  if (!content.backend.capabilities.directories) return 0;
  let removed = 0;
  let cursor: string | undefined;
  do {
    let page;
    try {
      page = await content.backend.list(TUS_PREFIX, cursor === undefined ? {} : { cursor });
    } catch (err) {
      if (isUfsError(err, 'NOT_FOUND')) return removed; // no `_tus/` folder
      throw serverFault(err, { backend: content.backend.protocol, operation: 'list', path: TUS_PREFIX });
    }
    for (const entry of page.entries) {
      if (!entry.isDir) continue;
      const id = entry.key.slice(entry.key.lastIndexOf('/') + 1);
      if (skip.has(id) || entry.mtime === undefined || entry.mtime.getTime() > cutoff) continue;
      if (await store.getUpload(id)) continue;
      const folder = `${TUS_PREFIX}/${id}`;
      await content.removeFolder(folder);
      if (!(await content.backend.stat(folder).catch(() => null))) removed++;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return removed;
}
