import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { METADATA_STORE, type MetadataStore } from './store.js';

/** Store setting holding the catalogue epoch. */
export const CATALOGUE_EPOCH_SETTING = 'catalogue_epoch';

/** Answer of `GET /catalogue`. */
export const catalogueResponseSchema = z.object({
  catalogue_epoch: z
    .string()
    .describe(
      'Opaque. Changes whenever the server may have lost something a client believes it holds: a file record ' +
        'deleted, content removed (gc, verify repair). A client that remembers which records (and contents) the ' +
        'server accepted may skip sending them again only while this value stays the same.',
    ),
});
export type CatalogueResponse = z.infer<typeof catalogueResponseSchema>;

/**
 * The catalogue epoch: an opaque string (a random UUID) that changes whenever the server may have lost something a
 * client believes it holds — a file record deleted, or content removed (GC, orphan removal, `verify` repair, a stale
 * deletion claim taken over). A client may skip re-sending records the server accepted under the epoch it reads
 * now; when the epoch differs from the one it remembers, it must send everything again. Kept in the store's
 * settings, so every replica reads and changes the same value; created on first read.
 *
 * Where a removal bumps: content is claimed (`present → deleting`) before the bump and removed after it, so an answer
 * "held" that a client got before the claim was read under the old epoch, and one asked after the bump says
 * "upload". A record deletion has no claim, so it bumps before (a crash right after the deletion changes the epoch
 * anyway) and after (a scan that read the epoch in between and re-sent that record sends it again next time).
 */
@Injectable()
export class CatalogueEpoch {
  constructor(@Inject(METADATA_STORE) private readonly store: MetadataStore) {}

  /** The current epoch (created on first use). */
  current(): Promise<string> {
    return this.store.getOrInsertSetting(CATALOGUE_EPOCH_SETTING, randomUUID());
  }

  /** Changes the epoch: every client that remembers the old one sends all its records again. */
  async bump(): Promise<void> {
    await this.store.setSetting(CATALOGUE_EPOCH_SETTING, randomUUID());
  }
}
