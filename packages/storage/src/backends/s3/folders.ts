import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parentKey, type MkdirOptions } from '@org/core';
import type { S3Context } from './context.js';
import { stat } from './reader.js';

/**
 * Makes a folder as OpenDAL's S3 backend does: a zero-byte marker object `key/` (what the AWS console writes too),
 * so that the folder exists for stat and listings before anything is written in it. Parents need no markers of
 * their own (a prefix exists while something lies below it), but without `parents` a missing parent is NOT_FOUND
 * (naming it in `context.missing`), and a folder already there is ALREADY_EXISTS unless `existOk`, as on every
 * backend. A file at the key is ALREADY_EXISTS; a file named like a parent is not in the way (S3 keys and prefixes
 * of one name coexist). Deleting the folder deletes its marker (`delete` without `recursive` when it is empty).
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
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: s3.keys.folder(key), Body: new Uint8Array(0), ContentLength: 0 }),
    );
  } catch (err) {
    throw s3.fail(err, 'mkdir', key);
  }
}
