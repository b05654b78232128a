import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { METADATA_STORE, type MetadataStore } from './store.js';

/** Store setting holding the catalogue epoch. */
export const CATALOGUE_EPOCH_SETTING = 'catalogue_epoch';

/** Query of `GET /catalogue`: optionally the host whose catalogue revision is wanted. */
export const catalogueQuerySchema = z.strictObject({
  hostname: z
    .string()
    .min(1, 'hostname must not be empty')
    .max(255, 'hostname is longer than 255 characters')
    .optional(),
});

/** Answer of `GET /catalogue`. */
export const catalogueResponseSchema = z.object({
  catalogue_epoch: z
    .string()
    .describe(
      'Opaque. Changes whenever the server may have lost something a client believes it holds: a file record ' +
        'deleted, content removed (gc, verify repair). A client that remembers which records (and contents) the ' +
        'server accepted may skip sending them again only while this value stays the same.',
    ),
  catalogue_revision: z
    .string()
    .optional()
    .describe(
      'Only with `?hostname=H`: the catalogue revision of host H, opaque (`0` before any record of H was written). ' +
        "It changes with every write of H's records by any client (put_file, put_files, a deletion), and never " +
        'comes back to a value it had, even after the store is restored from a backup. Each put_files answer says ' +
        'how it moved it (`catalogue_revisions`).',
    ),
  records_without_content: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "ufs only, with `?hostname=H`: how many of H's records the server holds without their content (put_file " +
        'would ask for their upload), read after `catalogue_revision`. It goes down as content is uploaded and up ' +
        'only with a write of the records or a removal of content; a server restored from a backup says what the ' +
        'backup held. A client that remembers fewer under the same revision must send its records again: content ' +
        'it uploaded is gone. It may count more than there are (MongoDB, after a put that crossed an upload).',
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
