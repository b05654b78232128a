import { Inject, Injectable } from '@nestjs/common';
import { UfsError, isUfsError, sleep } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { isServerFault } from '../http/server-fault.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { CatalogueEpoch } from '../store/catalogue-epoch.js';
import { METADATA_STORE, type ContentRecord, type MetadataStore } from '../store/store.js';
import { ContentStore, integrityError } from './content-store.js';
import { LimitedHasher, admitDeclared } from './limit-hash.js';
import type { SizeCheck } from './record-size.js';

/**
 * What a multipart upload (`POST /upload_file`) may carry on top of its file and still be admitted on its
 * Content-Length: the boundaries, the part headers (a long file name included) and a few small fields, which for the
 * PutPlace client come to well under 1 KiB. Bounded, so a request announcing far more than `maxUploadBytes` is refused
 * before its body is read; generous, so a file of exactly `maxUploadBytes` is never refused on its framing. A request
 * that carries more besides its file (large extra fields or parts) is admitted only while the total is under the
 * limit plus this; the file itself is held to `maxUploadBytes` as it arrives either way.
 */
export const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;

export interface IngestResult {
  sha256: string;
  size: number;
  /** `stored`: this upload placed the object; `deduplicated`: the content was already held. */
  outcome: 'stored' | 'deduplicated';
}

/**
 * The race-safe content protocol, written once above the store primitives:
 * stream to a temp key while hashing → verify → place without overwrite → insert the content record if absent.
 * A hash being garbage-collected (`deleting`) is waited for; a stale claim (expired lease) is taken over.
 */
@Injectable()
export class ContentService {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) readonly content: ContentStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(CatalogueEpoch) private readonly epoch: CatalogueEpoch,
  ) {}

  /** True when verified content for the hash is held (`present`). */
  async isPresent(sha256: string): Promise<boolean> {
    return (await this.store.getContent(sha256))?.state === 'present';
  }

  /**
   * Refuses with TOO_LARGE, before any of its body is read (so also without `100 Continue`), a multipart upload whose
   * Content-Length is over `maxUploadBytes` plus MULTIPART_ALLOWANCE_BYTES. `ingest` cannot: it is given the file
   * part, which busboy reads out of the request, and by then the body is being read.
   */
  admitMultipart(req: unknown): void {
    const limit = this.config.maxUploadBytes;
    admitDeclared(
      req,
      limit + MULTIPART_ALLOWANCE_BYTES,
      (declared) =>
        `[ufs] the request body (Content-Length ${declared}) is larger than the limit of ${limit} bytes ` +
        `(plus ${MULTIPART_ALLOWANCE_BYTES} bytes for the multipart framing)`,
    );
  }

  /**
   * Ingests an upload stream whose SHA-256 must be `sha256`. A mismatch stores nothing (INTEGRITY). `sizeHint`: about
   * how many bytes will come (an upper bound will do) when `source` is not a request with a Content-Length.
   * `checkSize`: refuses (throws) content of the right hash but of a size its file record does not declare, once every
   * byte has arrived and before anything is stored (see record-size.ts); content of another hash is INTEGRITY.
   */
  async ingest(
    sha256: string,
    source: AsyncIterable<Uint8Array | string>,
    sizeHint?: number,
    checkSize?: SizeCheck,
  ): Promise<IngestResult> {
    const hasher = new LimitedHasher(this.config.maxUploadBytes);
    // A request that announces more than the limit is refused first, its body unread (and no `100 Continue`).
    hasher.admit(source);
    const expected = sizeHint === undefined ? {} : { expectedBytes: sizeHint };
    if (await this.isPresent(sha256)) {
      // Already held: verify the bytes (the client must still send the right content) but store nothing.
      await hasher.drain(source, expected);
      this.metrics.bytesIn.inc(hasher.bytes);
      const actual = hasher.digest();
      if (actual !== sha256) throw integrityError(sha256, actual);
      await checkSize?.(hasher.bytes);
      this.metrics.dedupHits.inc();
      return { sha256, size: hasher.bytes, outcome: 'deduplicated' };
    }
    const tempKey = this.content.newTempKey();
    let outcome: IngestResult['outcome'];
    try {
      await this.content.write(tempKey, hasher.stream(source, expected));
      this.metrics.bytesIn.inc(hasher.bytes);
      const actual = hasher.digest();
      if (actual !== sha256) throw integrityError(sha256, actual);
      await checkSize?.(hasher.bytes);
      outcome = await this.commit(sha256, tempKey, hasher.bytes);
    } catch (err) {
      // A failure of the mount's (a fault): the answer does not wait for the cleanup, which a mount that stopped
      // answering fails as slowly. The client's failures (a mismatch, a body cut short) leave nothing behind.
      if (isServerFault(err)) this.content.discardLater(tempKey);
      else await this.content.discard(tempKey);
      throw err;
    }
    await this.content.discard(tempKey);
    if (outcome === 'deduplicated') this.metrics.dedupHits.inc();
    return { sha256, size: hasher.bytes, outcome };
  }

  /**
   * Makes verified bytes at `tempKey` the content of `sha256`. The caller removes `tempKey` afterwards.
   * Ends with exactly one object and one `present` record whatever other uploads or GC runs do meanwhile.
   */
  async commit(sha256: string, tempKey: string, size: number): Promise<'stored' | 'deduplicated'> {
    const deadline = Date.now() + this.config.waitForGcMs;
    for (let attempt = 0; ; attempt++) {
      const record = await this.store.getContent(sha256);
      if (record?.state === 'present') return 'deduplicated';
      if (record?.state === 'deleting') {
        await this.waitForDeletion(record, deadline, attempt);
        continue;
      }
      const placed = await this.content.place(tempKey, sha256, size).catch((err: unknown) => {
        if (!isUfsError(err, 'NOT_FOUND')) throw err;
        throw new UfsError('UNAVAILABLE', `[ufs] the upload of ${sha256} lost its temporary object; retry`, {
          cause: err,
          context: { reason: 'busy' },
        });
      });
      // An object no record vouches for: usually a racing upload's, between its place and its record, but it may be
      // a leftover (a copy cut short on a backend without atomic placing, a corrupt object a repair could not
      // remove). It is adopted only if it holds this content; else it is replaced by these verified bytes.
      if (placed === 'existed' && !(await this.content.holds(sha256, size))) {
        if (attempt >= 5) {
          throw new UfsError(
            'UNAVAILABLE',
            `[ufs] the object of ${sha256} in the content mount keeps changing; retry`,
            {
              retryAfterMs: 1000,
              context: { reason: 'busy' },
            },
          );
        }
        await this.content.removeContent(sha256);
        continue;
      }
      const now = new Date().toISOString();
      const inserted = await this.store.insertContentIfAbsent({
        sha256,
        size,
        state: 'present',
        version: 1,
        uploaded_at: now,
        lease_until: null,
        verified_at: now,
      });
      if (inserted) return 'stored';
      // Another writer (an upload, or a GC claiming an orphan) got there first: look again.
    }
  }

  private async waitForDeletion(record: ContentRecord, deadline: number, attempt: number): Promise<void> {
    const leaseEnd = record.lease_until ? Date.parse(record.lease_until) : 0;
    if (leaseEnd < Date.now()) {
      // The claimant died: drop its stale claim (compare-and-set, so only one taker wins). It may have died before
      // it changed the catalogue epoch, and the content is gone from the catalogue until this upload commits.
      await this.epoch.bump();
      await this.store.deleteContentIf(record.sha256, record.version);
      return;
    }
    if (Date.now() > deadline) {
      throw new UfsError('UNAVAILABLE', `[ufs] content ${record.sha256} is being garbage-collected; retry shortly`, {
        retryAfterMs: 1000,
        context: { reason: 'busy' },
      });
    }
    await sleep(Math.min(25 * 2 ** attempt, 250));
  }
}
