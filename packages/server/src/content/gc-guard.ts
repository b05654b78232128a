import { UfsError } from '@org/core';

/** Orphans a gc removes without `force` whatever their share (objects left by crashes between a write and its record). */
export const GC_ORPHANS_ALWAYS_ALLOWED = 10;
/** Past GC_ORPHANS_ALWAYS_ALLOWED, the share of the mount's content objects that may be orphans without `force`. */
export const GC_ORPHAN_SHARE_ALLOWED = 0.1;

export interface OrphanCount {
  /** Content objects of the mount older than the grace period without a content record: what gc would remove. */
  orphans: number;
  /** Content objects in the mount. */
  objects: number;
  /** Whether the store holds any content record at all. */
  storeHoldsContent: boolean;
}

/**
 * Why a gc must not remove `count.orphans` objects without `force`, or undefined. A store that does not belong to the
 * content mount (a new, empty store after a typo in the data folder, a lost store, a store pointed at the wrong
 * bucket) sees every object as an orphan: an empty store never removes one, and orphans that are more than
 * GC_ORPHANS_ALWAYS_ALLOWED and more than GC_ORPHAN_SHARE_ALLOWED of the objects need `force`.
 */
export function orphanRefusal(count: OrphanCount): string | undefined {
  const { orphans, objects } = count;
  if (orphans === 0) return undefined;
  if (!count.storeHoldsContent)
    return (
      `the metadata store holds no content record, yet the content mount holds ${orphans} objects gc would remove ` +
      'as orphans: is this the store of this content (a wrong data folder, a store made anew)?'
    );
  if (orphans > GC_ORPHANS_ALWAYS_ALLOWED && orphans > objects * GC_ORPHAN_SHARE_ALLOWED) {
    const percent = Math.round((orphans / objects) * 100);
    return (
      `${orphans} of the ${objects} objects of the content mount (${percent} %) have no record in the metadata store ` +
      `(more than ${GC_ORPHAN_SHARE_ALLOWED * 100} % are never removed without force): is this the store of this ` +
      'content (a store restored from an old backup, a store of another server)?'
    );
  }
  return undefined;
}

/** INVALID_INPUT (400) for a gc refused by orphanRefusal: what was found, that nothing was removed, how to insist. */
export function gcRefusedError(why: string): UfsError {
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] gc refused: ${why} Nothing was removed. Check with a dry run (dry_run: true, \`ufs server gc --dry-run\`); ` +
      'to remove them anyway, send force: true (`ufs server gc --force`)',
    { context: { operation: 'gc', reason: 'gc-refused' } },
  );
}
