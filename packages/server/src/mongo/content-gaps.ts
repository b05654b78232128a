import type { Model } from 'mongoose';
import type { FileMetadata } from '@org/core';
import { EMPTY_SHA256 } from '../files/file-response.js';
import type { ContentDoc } from './schemas/content.schema.js';
import type { FileDoc } from './schemas/file.schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- lean documents */

/**
 * The MongoDB store's records without content (GET /catalogue's `records_without_content`): each file document
 * carries `content_missing`, counted through the (hostname, content_missing) index. MongoDB without a transaction
 * cannot change it with the content: it errs only towards counting more. An upsert sets it from the content read just
 * before; content that arrives clears it on every record of its hash after it is stored, so of an upsert and an
 * upload that cross, one of the two sees the other. A document without the field (written before it existed) counts
 * as without content until it is written again.
 */
const isEmpty = (m: Pick<FileMetadata, 'sha256' | 'file_size'>) => m.file_size === 0 && m.sha256 === EMPTY_SHA256;

/** For each record, whether this store lacks its content now (one read for the batch's hashes). */
export async function missingContent(
  content: Model<ContentDoc>,
  metas: readonly Pick<FileMetadata, 'sha256' | 'file_size'>[],
): Promise<boolean[]> {
  const hashes = [...new Set(metas.filter((m) => !isEmpty(m)).map((m) => m.sha256))];
  const docs = hashes.length
    ? await content
        .find({ _id: { $in: hashes }, state: 'present' }, { size: 1 })
        .lean()
        .exec()
    : [];
  const sizes = new Map(docs.map((d: any) => [String(d._id), d.size as number]));
  return metas.map((m) => !isEmpty(m) && sizes.get(m.sha256) !== m.file_size);
}

/**
 * The content of `sha256` is held now (of `size` bytes: its records of that size are marked held), or no longer
 * (every record of it is marked without content).
 */
export async function markContent(
  files: Model<FileDoc>,
  sha256: string,
  held: { size: number } | false,
): Promise<void> {
  if (held && held.size === 0 && sha256 === EMPTY_SHA256) return;
  if (held)
    await files
      .updateMany(
        { sha256, file_size: held.size, content_missing: { $ne: false } },
        { $set: { content_missing: false } },
      )
      .exec();
  else await files.updateMany({ sha256, content_missing: false }, { $set: { content_missing: true } }).exec();
}

/** How many of `hostname`'s records lack their content (an index count). */
export function countMissing(files: Model<FileDoc>, hostname: string): Promise<number> {
  return files.countDocuments({ hostname, content_missing: { $ne: false } }).exec();
}
