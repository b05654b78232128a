import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parentKey, type MkdirOptions } from '@org/core';
import type { S3Context } from './context.js';
import { stat } from './reader.js';

/**
 * Makes a folder as OpenDAL's S3 backend does: a zero-byte marker object `key/` (what the AWS console writes too),
 * so that the folder exists for stat and listings before anything is written in it. With `parents`, each missing
 * parent gets its marker too (so that deleting the new folder leaves its parents, as on every backend with real
 * folders); a parent that already exists, as a marker or as a prefix of other objects, gets none, and neither do
 * those above it. Without `parents` a missing parent is NOT_FOUND (naming it in `context.missing`), and a folder
 * already there is ALREADY_EXISTS unless `existOk`, as on every backend. A file at the key is ALREADY_EXISTS; a
 * file named like a parent is not in the way (S3 keys and prefixes of one name coexist). Deleting the folder deletes
 * its marker (`delete` without `recursive` when it is empty).
 */
export async function mkdir(s3: S3Context, key: string, options: MkdirOptions = {}): Promise<void> {
  const existing = await stat(s3, key);
  if (existing?.isFile) throw s3.error('ALREADY_EXISTS', 'mkdir', key, 'a file is in the way');
  if (existing?.isDir) {
    if (options.existOk) return;
    throw s3.error('ALREADY_EXISTS', 'mkdir', key, 'the folder already exists');
  }
  const parent = parentKey(key);
  if (!options.parents && parent !== '' && !(await stat(s3, parent))?.isDir) {
    const missing = `${s3.mount}:${parent}`;
    throw s3
      .error('NOT_FOUND', 'mkdir', key, 'the parent folder does not exist (use parents)')
      .withContext({ missing });
  }
  try {
    const missing = options.parents ? await missingParents(s3, key) : [];
    // Top down: a failure part way leaves no marker below a missing folder.
    for (const folder of [...missing].reverse().concat(key)) {
      await s3.client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: s3.keys.folder(folder),
          Body: new Uint8Array(0),
          ContentLength: 0,
        }),
      );
    }
  } catch (err) {
    throw s3.fail(err, 'mkdir', key);
  }
}

/**
 * The parents of `key` that do not exist, nearest first: one listing (MaxKeys 1) per level, stopping at the first
 * that holds anything (a marker or any object below it: all folders above it exist too) or at the mount's root.
 */
async function missingParents(s3: S3Context, key: string): Promise<string[]> {
  const missing: string[] = [];
  for (let folder = parentKey(key); folder !== ''; folder = parentKey(folder)) {
    const page = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.keys.folder(folder), MaxKeys: 1 }),
    );
    if ((page.KeyCount ?? page.Contents?.length ?? 0) > 0) break;
    missing.push(folder);
  }
  return missing;
}
