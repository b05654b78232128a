import { Inject, Injectable, Logger } from '@nestjs/common';
import { hashStream, isUfsError, toUfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import { ContentStore } from './content-store.js';
import { GcService } from './gc.service.js';

export interface VerifyOptions {
  /** Remove missing or corrupt content (record and object) so clients are asked to upload it again. */
  repair?: boolean;
  /** Only these hashes (default: all held content). */
  sha256s?: string[];
}

export interface VerifyReport {
  checked: number;
  ok: number;
  missing: string[];
  corrupt: string[];
  repaired: string[];
  /**
   * Content that could not be read for another reason than being missing (permission, an unreachable mount, …):
   * neither counted ok nor repaired, since the fault may pass; the run goes on to the next hash.
   */
  unreadable: string[];
}

/** Re-hashes stored content and reports (optionally repairs) what no longer matches its hash. */
@Injectable()
export class VerifyService {
  private readonly log = new Logger('ufs.verify');

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(GcService) private readonly gc: GcService,
  ) {}

  async run(options: VerifyOptions = {}): Promise<VerifyReport> {
    const report: VerifyReport = { checked: 0, ok: 0, missing: [], corrupt: [], repaired: [], unreadable: [] };
    for await (const record of this.records(options.sha256s)) {
      if (record.state !== 'present') continue;
      report.checked++;
      let actual: string | undefined;
      try {
        actual = (await hashStream(await this.content.read(record.sha256))).digest;
      } catch (err) {
        if (!isUfsError(err, 'NOT_FOUND')) {
          this.log.warn(`content ${record.sha256} could not be read: ${toUfsError(err).message}`);
          report.unreadable.push(record.sha256);
          continue;
        }
      }
      if (actual === record.sha256) {
        report.ok++;
        await this.store.updateContentIf(record.sha256, record.version, { verified_at: new Date().toISOString() });
        continue;
      }
      (actual === undefined ? report.missing : report.corrupt).push(record.sha256);
      if (!options.repair) continue;
      const claimed = await this.store.updateContentIf(record.sha256, record.version, {
        state: 'deleting',
        lease_until: new Date(Date.now() + this.config.deleteLeaseMs).toISOString(),
      });
      if (claimed && (await this.gc.removeClaimed(claimed))) report.repaired.push(record.sha256);
    }
    return report;
  }

  private async *records(only?: string[]) {
    if (only) {
      for (const record of (await this.store.getContents(only)).values()) yield record;
      return;
    }
    let cursor: string | undefined;
    do {
      const page = await this.store.listContent(cursor === undefined ? { limit: 200 } : { limit: 200, cursor });
      yield* page.items;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}
