import { Inject, Injectable, Logger } from '@nestjs/common';
import { contentKey, hashFromContentKey, type EntryStat } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { CatalogueEpoch } from '../store/catalogue-epoch.js';
import { METADATA_STORE, type ContentRecord, type MetadataStore } from '../store/store.js';
import { ContentStore, TEMP_PREFIX, TUS_PREFIX } from './content-store.js';
import { gcRefusedError, orphanRefusal } from './gc-guard.js';
import { noteCapped } from './report-list.js';
import { removeEmptyUploadFolders } from './tus/empty-upload-folders.js';
import { TusSessions } from './tus/tus-sessions.js';

/** Youngest temp object GC may remove: an upload takes moments between finishing its temp object and placing it. */
export const TEMP_MIN_AGE_MS = 10 * 60_000;

/** The id of the tus upload whose folder (`_tus/<id>/`) holds `key` directly, else undefined. */
function tusUploadOf(key: string): string | undefined {
  return new RegExp(`^${TUS_PREFIX}/([^/]+)/[^/]+$`).exec(key)?.[1];
}

export interface GcOptions {
  /** Override the configured grace period (ms). */
  graceMs?: number;
  /** Report what would be removed without removing anything. */
  dryRun?: boolean;
  /** Remove orphans even when orphanRefusal (gc-guard.ts) says this store may not be the mount's own. */
  force?: boolean;
}

export interface GcReport {
  scanned: number;
  /** Hashes whose content was removed because no record refers to them (the first REPORT_LIST_LIMIT). */
  deleted: string[];
  /** How many were removed (exact, also past the listed ones). */
  deletedCount: number;
  /** Objects in the mount without a content record (e.g. left by a crash), removed (the first REPORT_LIST_LIMIT). */
  orphans: string[];
  /** How many orphan objects were removed (exact). */
  orphansCount: number;
  /** True when `deleted` or `orphans` lists fewer hashes than its count. */
  truncated: boolean;
  tempObjects: number;
  expiredUploads: number;
  counters: number;
  dryRun: boolean;
}

/**
 * Garbage collection, safe against concurrent uploads and other GC runs on other replicas: a hash is claimed
 * (`present` → `deleting`, compare-and-set with a lease), the references are counted again after the claim, and
 * only then is the object removed. Uploads of a hash being deleted wait (ContentService.commit).
 */
@Injectable()
export class GcService {
  private readonly log = new Logger('ufs.gc');

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(TusSessions) private readonly tus: TusSessions,
    @Inject(CatalogueEpoch) private readonly epoch: CatalogueEpoch,
  ) {}

  async run(options: GcOptions = {}): Promise<GcReport> {
    const now = Date.now();
    const cutoff = now - (options.graceMs ?? this.config.gcGraceMs);
    const dryRun = options.dryRun ?? false;
    const report: GcReport = {
      scanned: 0,
      deleted: [],
      deletedCount: 0,
      orphans: [],
      orphansCount: 0,
      truncated: false,
      tempObjects: 0,
      expiredUploads: 0,
      counters: 0,
      dryRun,
    };
    // One walk of the mount first, removing nothing: the orphans (objects without a content record) are counted
    // against the mount's content objects before anything goes (orphanRefusal: a store that is not the mount's own
    // sees every object as an orphan). The walk includes the backend's own temporary files (a local mount's
    // `.ufs-*.tmp`, hidden from other listings: what a write killed mid-way left, in `_tmp/` or `_tus/<id>/`). An
    // object the mount cannot date counts as young and is kept: it may belong to an upload in progress.
    let undated = 0;
    // Temp objects belong to uploads in flight (on any replica; a write in progress keeps its mtime fresh): never
    // younger than TEMP_MIN_AGE_MS, whatever the grace period.
    const tempCutoff = Math.min(cutoff, now - TEMP_MIN_AGE_MS);
    const staleTemp: string[] = [];
    const orphans: string[] = [];
    let objects = 0;
    for await (const entry of this.content.walk('', { includeTemporary: true })) {
      const temporary = entry.temporary === true || entry.key.startsWith(`${TEMP_PREFIX}/`);
      const sha256 = temporary ? undefined : hashFromContentKey(entry.key);
      if (!temporary && (!sha256 || entry.key !== contentKey(sha256))) continue;
      if (!temporary) objects++;
      const written = await this.writtenAt(entry);
      if (written === undefined) undated++;
      if (written === undefined || written > (temporary ? tempCutoff : cutoff)) continue;
      if (temporary) staleTemp.push(entry.key);
      else if (!(await this.store.getContent(sha256!))) orphans.push(sha256!);
    }
    const storeHoldsContent = (await this.store.listContent({ limit: 1 })).items.length > 0;
    const refusal = orphanRefusal({ orphans: orphans.length, objects, storeHoldsContent });
    if (refusal && !dryRun && !options.force) throw gcRefusedError(refusal);
    if (refusal) this.log.warn(`gc${dryRun ? ' (dry run)' : ' (forced)'}: ${refusal}`);

    let cursor: string | undefined;
    do {
      const page = await this.store.listContent(cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
      for (const record of page.items) {
        report.scanned++;
        if (record.state !== 'present' || Date.parse(record.uploaded_at) > cutoff) continue;
        if (!(await this.collect(record, dryRun))) continue;
        noteCapped(report, 'deleted', record.sha256);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);

    const emptied = new Set<string>();
    for (const key of staleTemp) {
      report.tempObjects++;
      if (dryRun) continue;
      await this.content.remove(key);
      const upload = tusUploadOf(key);
      if (upload) emptied.add(upload);
    }
    for (const sha256 of orphans) {
      // Claimed first (insert-if-absent): an upload that recorded the hash since the walk keeps it.
      if (!dryRun && !(await this.removeOrphan(sha256))) continue;
      noteCapped(report, 'orphans', sha256);
    }
    // The folder of an upload whose session is gone, left behind by a leftover just removed, goes too (when empty).
    for (const id of emptied)
      if (!(await this.store.getUpload(id))) await this.content.removeFolder(`${TUS_PREFIX}/${id}`);
    // Empty upload folders older versions left behind (`_tus/<id>/` of a session long gone): removed when older than
    // the grace period and no session names them (removeFolder takes a folder only when empty).
    const folders = dryRun ? 0 : await removeEmptyUploadFolders(this.content, this.store, cutoff, emptied);
    if (folders > 0) this.log.log(`gc: removed ${folders} empty upload folders (${TUS_PREFIX}/<id>/) of gone sessions`);
    if (undated > 0) this.log.warn(`gc: kept ${undated} objects the content mount gives no modification time`);
    if (!dryRun) {
      report.expiredUploads = await this.tus.removeExpired(new Date(now));
      report.counters = await this.store.purgeExpiredCounters(new Date(now));
    }
    this.log.log(
      `gc${dryRun ? ' (dry run)' : ''}: ${report.deletedCount} unreferenced, ${report.orphansCount} orphans, ` +
        `${report.tempObjects} temp objects, ${report.expiredUploads} expired uploads`,
    );
    return report;
  }

  /** When an object was last written (ms): its listing's mtime, else a stat's; undefined when the mount cannot say. */
  private async writtenAt(entry: EntryStat): Promise<number | undefined> {
    return (entry.mtime ?? (await this.content.statKey(entry.key))?.mtime)?.getTime();
  }

  /** Removes one unreferenced content; false when a reference or another actor won the race. */
  private async collect(record: ContentRecord, dryRun: boolean): Promise<boolean> {
    if ((await this.store.countFilesWithHash(record.sha256)) > 0) return false;
    if (dryRun) return true;
    const claimed = await this.store.updateContentIf(record.sha256, record.version, {
      state: 'deleting',
      lease_until: new Date(Date.now() + this.config.deleteLeaseMs).toISOString(),
    });
    if (!claimed) return false;
    // A put_file that read `present` before the claim has already written its record: count again.
    if ((await this.store.countFilesWithHash(record.sha256)) > 0) {
      await this.store.updateContentIf(record.sha256, claimed.version, { state: 'present', lease_until: null });
      return false;
    }
    return this.removeClaimed(claimed);
  }

  private async removeOrphan(sha256: string): Promise<boolean> {
    const claim: ContentRecord = {
      sha256,
      size: 0,
      state: 'deleting',
      version: 1,
      uploaded_at: new Date().toISOString(),
      lease_until: new Date(Date.now() + this.config.deleteLeaseMs).toISOString(),
      verified_at: null,
    };
    if (!(await this.store.insertContentIfAbsent(claim))) return false;
    return this.removeClaimed(claim);
  }

  /**
   * Deletes the object of a hash this process has claimed, then the claim itself. The catalogue epoch changes
   * between the claim and the removal (see CatalogueEpoch), once per removed hash: a crash mid-run loses no bump.
   */
  async removeClaimed(claimed: ContentRecord): Promise<boolean> {
    if (claimed.lease_until && Date.parse(claimed.lease_until) < Date.now()) return false;
    await this.epoch.bump();
    await this.content.remove(contentKey(claimed.sha256));
    if (await this.store.deleteContentIf(claimed.sha256, claimed.version)) return true;
    // The claim was taken over while this ran (the process stalled past its lease): an upload may have placed the
    // object again, and the delete above removed it. The catalogue must not promise content that is gone: such a
    // record is removed too, so that clients are asked to upload the content again.
    const current = await this.store.getContent(claimed.sha256);
    if (current?.state === 'present' && !(await this.content.stat(claimed.sha256))) {
      this.log.warn(`gc: content ${claimed.sha256} was re-uploaded while its removal stalled; asking for it again`);
      await this.epoch.bump();
      await this.store.deleteContentIf(current.sha256, current.version);
    }
    return false;
  }
}
