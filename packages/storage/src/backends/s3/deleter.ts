import { DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describeContext, UfsError, type DeleteOptions } from '@org/core';
import type { S3Context } from './context.js';

/** DeleteObjects takes at most 1000 keys. */
const BATCH = 1000;

/**
 * Deletes one object (or one version of it); a missing key is not an error. `recursive` removes the object at
 * `key` and every object below `key/` (the whole mount for the root), listing and deleting 1000 keys at a time.
 * On a versioned bucket this leaves delete markers, like any S3 delete without a version id.
 */
export async function remove(s3: S3Context, key: string, options: DeleteOptions = {}): Promise<void> {
  try {
    if (!options.recursive) {
      await s3.client.send(
        new DeleteObjectCommand({
          Bucket: s3.bucket,
          Key: s3.keys.object(key, 'delete'),
          VersionId: options.versionId,
        }),
        { abortSignal: options.signal },
      );
      return;
    }
    if (options.versionId !== undefined) {
      throw new UfsError('INVALID_INPUT', `[ufs] [s3] delete "${key}": a version id cannot be combined with recursive`);
    }
    if (key !== '') {
      await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: s3.keys.object(key, 'delete') }), {
        abortSignal: options.signal,
      });
    }
    await removeBelow(s3, key, options.signal);
  } catch (err) {
    throw s3.fail(err, 'delete', key);
  }
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
        const context = { backend: 's3', operation: 'delete', path: key, s3Code: failed.Code };
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
