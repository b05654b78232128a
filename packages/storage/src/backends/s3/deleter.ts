import { DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describeContext, UfsError, type DeleteOptions } from '@org/core';
import type { S3Context } from './context.js';
import { isForbidden, isMissingObject, s3ErrorContext } from './errors.js';

/** DeleteObjects takes at most 1000 keys. */
const BATCH = 1000;

/**
 * Deletes one object (or one version of it); a missing key is not an error. Without `recursive`, a key with no
 * object but objects below `key/` is a folder that is not empty: INVALID_INPUT, as on every backend, and nothing is
 * deleted (an empty folder's marker object `key/` is deleted). `recursive` removes the object at `key` and every
 * object below `key/` (the whole mount for the root), listing and deleting 1000 keys at a time. On a versioned
 * bucket this leaves delete markers, like any S3 delete without a version id.
 */
export async function remove(s3: S3Context, key: string, options: DeleteOptions = {}): Promise<void> {
  try {
    if (!options.recursive) {
      const objectKey = s3.keys.object(key, 'delete');
      if (options.versionId === undefined) return await removeOne(s3, key, objectKey, options.signal);
      await send(s3, objectKey, options.signal, options.versionId);
      return;
    }
    if (options.versionId !== undefined) {
      throw s3.error('INVALID_INPUT', 'delete', key, 'a version id cannot be combined with recursive');
    }
    if (key !== '') await send(s3, s3.keys.object(key, 'delete'), options.signal);
    await removeBelow(s3, key, options.signal);
  } catch (err) {
    throw s3.fail(err, 'delete', key);
  }
}

function send(s3: S3Context, objectKey: string, signal: AbortSignal | undefined, versionId?: string) {
  return s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: objectKey, VersionId: versionId }), {
    abortSignal: signal,
  });
}

/**
 * A file is deleted after a HeadObject finds it (S3's DeleteObject says nothing of what was there). With no file,
 * one listing of `key/` tells a folder that is not empty (refused) from an empty one (its marker deleted) and from
 * nothing at all. A HeadObject refused (a key allowed to delete but not to read) falls back to the plain delete.
 */
async function removeOne(s3: S3Context, key: string, objectKey: string, signal: AbortSignal | undefined) {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: objectKey }), { abortSignal: signal });
    await send(s3, objectKey, signal);
    return;
  } catch (err) {
    if (isForbidden(err)) return void (await send(s3, objectKey, signal));
    if (!isMissingObject(err)) throw err;
  }
  const marker = s3.keys.folder(key);
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: marker, MaxKeys: 2 }), {
    abortSignal: signal,
  });
  const below = (page.Contents ?? []).filter((o) => o.Key !== marker);
  if (below.length > 0) {
    const why = 'it is a folder that is not empty (pass recursive: true to delete the tree)';
    throw s3.error('INVALID_INPUT', 'delete', key, why);
  }
  if (page.Contents?.length) await send(s3, marker, signal);
}

async function removeBelow(s3: S3Context, key: string, signal: AbortSignal | undefined): Promise<void> {
  const prefix = s3.keys.folder(key);
  let startAfter: string | undefined;
  for (;;) {
    const page = await s3.client.send(
      new ListObjectsV2Command({
        Bucket: s3.bucket,
        Prefix: prefix || undefined,
        StartAfter: startAfter,
        MaxKeys: BATCH,
      }),
      { abortSignal: signal },
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length > 0) {
      const result = await s3.client.send(
        new DeleteObjectsCommand({
          Bucket: s3.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
        { abortSignal: signal },
      );
      const failed = result.Errors?.[0];
      if (failed) {
        const name = (failed.Key && s3.keys.relative(failed.Key)) ?? failed.Key;
        const more = result.Errors!.length > 1 ? ` and ${result.Errors!.length - 1} more` : '';
        const why = [failed.Code, failed.Message].filter(Boolean).join(': ') || 'refused';
        const context = { ...s3ErrorContext(s3.where('delete', key)), s3Code: failed.Code };
        throw new UfsError(
          failed.Code === 'AccessDenied' ? 'PERMISSION_DENIED' : 'UNAVAILABLE',
          `${describeContext(context)} could not delete "${name}"${more} (${why})`,
          { context },
        );
      }
    }
    if (!page.IsTruncated || keys.length === 0) return;
    startAfter = keys.at(-1);
  }
}
