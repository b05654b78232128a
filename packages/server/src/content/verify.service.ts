import { Inject, Injectable, Logger } from '@nestjs/common';
import { UfsError, hashStream, isUfsError, toUfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { EMPTY_SHA256 } from '../files/file-response.js';
import { METADATA_STORE, type ContentRecord, type MetadataStore } from '../store/store.js';
import { ContentStore } from './content-store.js';
import { GcService } from './gc.service.js';
import { noteCapped } from './report-list.js';

export interface VerifyOptions {
  /** Remove missing or corrupt content (record and object) so clients are asked to upload it again. */
  repair?: boolean;
  /**
   * Only these hashes (default: all held content). Those the server does not hold are listed in `notFound`; a lone
   * named hash it does not hold is NOT_FOUND.
   */
  sha256s?: string[];
}

/**
 * What a verify run found. Each list names at most REPORT_LIST_LIMIT hashes (the first found); its `…Count` is exact
 * and `truncated` says that some list was cut. `repaired` lists only hashes that `missing` or `corrupt` list, so a
 * listed hash absent from `repaired` was not repaired.
 */
export interface VerifyReport {
  checked: number;
  ok: number;
  /** Content whose object is gone. */
  missing: string[];
  missingCount: number;
  /** Content whose object does not hash to its name. */
  corrupt: string[];
  corruptCount: number;
  /** Missing or corrupt content removed (with `repair`) so that clients upload it again. */
  repaired: string[];
  repairedCount: number;
  /**
   * Content that could not be read for another reason than being missing (permission, an unreachable mount, …):
   * neither counted ok nor repaired, since the fault may pass; the run goes on to the next hash.
   */
  unreadable: string[];
  unreadableCount: number;
  /**
   * Named hashes (`sha256s`) the server does not hold: no content record, or content being removed. Neither checked
   * nor counted ok. Empty when every named hash was found (and when none was named: all held content is checked).
   */
  notFound: string[];
  notFoundCount: number;
  truncated: boolean;
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

  /**
   * NOT_FOUND, before anything is read, when `sha256s` names a single hash and the server does not hold it; with
   * several, those it does not hold are listed in `notFound` and the rest are checked.
   */
  async run(options: VerifyOptions = {}): Promise<VerifyReport> {
    const report: VerifyReport = {
      checked: 0,
      ok: 0,
      missing: [],
      missingCount: 0,
      corrupt: [],
      corruptCount: 0,
      repaired: [],
      repairedCount: 0,
      unreadable: [],
      unreadableCount: 0,
      notFound: [],
      notFoundCount: 0,
      truncated: false,
    };
    const note = (kind: 'missing' | 'corrupt' | 'repaired' | 'unreadable', sha256: string): boolean =>
      noteCapped(report, kind, sha256);
    const records = options.sha256s ? await this.named(options.sha256s, report) : this.all();
    for await (const record of records) {
      if (record.state !== 'present') continue;
      report.checked++;
      let actual: string | undefined;
      try {
        actual = (await hashStream(await this.content.read(record.sha256))).digest;
      } catch (err) {
        if (!isUfsError(err, 'NOT_FOUND')) {
          this.log.warn(`content ${record.sha256} could not be read: ${toUfsError(err).message}`);
          note('unreadable', record.sha256);
          continue;
        }
      }
      if (actual === record.sha256) {
        report.ok++;
        await this.store.updateContentIf(record.sha256, record.version, { verified_at: new Date().toISOString() });
        continue;
      }
      const listed = note(actual === undefined ? 'missing' : 'corrupt', record.sha256);
      if (!options.repair) continue;
      const claimed = await this.store.updateContentIf(record.sha256, record.version, {
        state: 'deleting',
        lease_until: new Date(Date.now() + this.config.deleteLeaseMs).toISOString(),
      });
      if (!claimed || !(await this.gc.removeClaimed(claimed))) continue;
      report.repairedCount++;
      if (listed) report.repaired.push(record.sha256);
    }
    return report;
  }

  /**
   * The records of the named hashes the server holds. Those it does not hold (no content record, or content being
   * removed) go to `notFound`, so that a check of unknown content is not reported as a success; a lone named hash it
   * does not hold is NOT_FOUND. The empty content is held without a record or an object: it counts as checked and ok.
   */
  private async named(sha256s: readonly string[], report: VerifyReport): Promise<ContentRecord[]> {
    const unique = [...new Set(sha256s)];
    const found = await this.store.getContents(unique.filter((sha) => sha !== EMPTY_SHA256));
    const unknown = unique.filter((sha) => sha !== EMPTY_SHA256 && found.get(sha)?.state !== 'present');
    if (unique.length === 1 && unknown.length === 1) {
      throw new UfsError('NOT_FOUND', `[ufs] the server holds no content for ${unknown[0]}; nothing was verified`);
    }
    for (const sha of unknown) noteCapped(report, 'notFound', sha);
    if (unique.includes(EMPTY_SHA256)) {
      report.checked++;
      report.ok++;
    }
    return [...found.values()];
  }

  private async *all(): AsyncGenerator<ContentRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.store.listContent(cursor === undefined ? { limit: 200 } : { limit: 200, cursor });
      yield* page.items;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}
