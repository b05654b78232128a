import type { Model } from 'mongoose';
import { UfsError, type FileMetadata } from '@org/core';
import type { FileRecord } from '../store/store.js';
import { duplicateKeyIndex, fileFromDoc, isDuplicateKey } from './mongo-records.js';
import type { FileDoc } from './schemas/file.schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- lean documents are mapped by mongo-records.ts */

/** The fields an upsert of `meta` sets (all but created_at, set on insert only). */
function fileFields(meta: FileMetadata, now: string) {
  return { ...meta, link_target: meta.link_target ?? null, updated_at: now };
}

/** One record per (hostname, filepath): `findOneAndUpdate` with upsert on the unique index. */
export async function upsertOneFile(
  files: Model<FileDoc>,
  meta: FileMetadata,
  now: string,
  missing: boolean,
  attempt = 0,
): Promise<FileRecord> {
  try {
    const doc = await files
      .findOneAndUpdate(
        { hostname: meta.hostname, filepath: meta.filepath },
        { $set: { ...fileFields(meta, now), content_missing: missing }, $setOnInsert: { created_at: now } },
        { upsert: true, new: true, lean: true },
      )
      .exec();
    return fileFromDoc(doc as any);
  } catch (err) {
    // Two concurrent upserts of a new key: one inserts, the other hits the unique index; retrying updates.
    if (isDuplicateKey(err) && attempt < 2) return upsertOneFile(files, meta, now, missing, attempt + 1);
    throw err;
  }
}

/**
 * Many upserts (bulkUpsert), then each record as its own upsert left it, in input order. `missing[i]`: whether the
 * store lacks the content of `metas[i]` (content-gaps.ts).
 */
export async function upsertFileBatch(
  files: Model<FileDoc>,
  metas: readonly FileMetadata[],
  iso: string,
  missing: readonly boolean[],
): Promise<FileRecord[]> {
  if (metas.length === 0) return [];
  await bulkUpsert(files, metas, iso, missing);
  const found = await files
    .find({ $or: metas.map((m) => ({ hostname: m.hostname, filepath: m.filepath })) })
    .lean()
    .exec();
  const byKey = new Map(found.map((d: any) => [`${d.hostname}\u0000${d.filepath}`, d]));
  return metas.map((m) => {
    const doc = byKey.get(`${m.hostname}\u0000${m.filepath}`);
    if (!doc) throw new UfsError('UNAVAILABLE', `[ufs] [mongo] upsert files: "${m.filepath}" vanished`);
    // Each result is the record as its own upsert left it (as SQLite's RETURNING gives), not a later write of
    // that key by another item of the batch or another replica: only _id and created_at come from the read.
    return fileFromDoc({ ...doc, ...fileFields(m, iso) });
  });
}

/**
 * The upserts as one ORDERED bulk write, so that a key repeated in the batch ends as its last occurrence, as in
 * SQLite. An upsert of a new key that loses the insert race to another writer fails on the unique
 * (hostname, filepath) index (E11000) and stops the ordered batch there: the operations before it are written,
 * none after it. The rest is sent again from that one, which now finds the record and updates it — a few times at
 * the same operation at most, as upsertOneFile does.
 */
async function bulkUpsert(
  files: Model<FileDoc>,
  metas: readonly FileMetadata[],
  iso: string,
  missing: readonly boolean[],
): Promise<void> {
  let from = 0;
  let attempt = 0;
  while (from < metas.length) {
    try {
      await files.bulkWrite(
        metas.slice(from).map((meta, i) => ({
          updateOne: {
            filter: { hostname: meta.hostname, filepath: meta.filepath },
            update: {
              $set: { ...fileFields(meta, iso), content_missing: missing[from + i] ?? true },
              $setOnInsert: { created_at: iso },
            },
            upsert: true,
          },
        })),
        { ordered: true },
      );
      return;
    } catch (err) {
      const failed = duplicateKeyIndex(err);
      if (failed === undefined) throw err;
      attempt = failed === 0 ? attempt + 1 : 1;
      if (attempt > 2) throw err;
      from += failed;
    }
  }
}
