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
 * object below `key/` (the whole mount for the root), listing and deleting 1000 keys at a time (see deletePage). On a versioned
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

/**
 * Characters an XML 1.0 document cannot hold, even escaped (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF;
 * lone surrogates): a key holding one cannot be named in a DeleteObjects body and is deleted with DeleteObject.
 */
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A key that could not be deleted: its object key, S3's error code and message. */
interface Failure {
  Key?: string;
  Code?: string;
  Message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** DeleteObject of each key in turn; a key S3 refuses is a failure, the others are still deleted. */
async function deleteEach(s3: S3Context, keys: string[], signal: AbortSignal | undefined): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const Key of keys) {
    try {
      await send(s3, Key, signal);
    } catch (err) {
      if (signal?.aborted || statusOf(err) === undefined) throw err;
      if (isMissingObject(err)) continue;
      const { name, message } = err as Error;
      failures.push({ Key, Code: (err as { Code?: string }).Code ?? name, Message: message });
    }
  }
  return failures;
}

/**
 * Deletes one page of keys: those XML can carry with one DeleteObjects, the others one by one. A DeleteObjects the
 * server refuses as a whole with a 400 (a body it cannot parse) falls back to one DeleteObject per key, so that one
 * odd key never keeps the rest of the page from being deleted.
 */
async function deletePage(s3: S3Context, keys: string[], signal: AbortSignal | undefined): Promise<Failure[]> {
  const batch = keys.filter((key) => !NOT_XML.test(key));
  const failures = await deleteEach(
    s3,
    keys.filter((key) => NOT_XML.test(key)),
    signal,
  );
  if (batch.length === 0) return failures;
  try {
    const result = await s3.client.send(
      new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      { abortSignal: signal },
    );
    return [...failures, ...(result.Errors ?? [])];
  } catch (err) {
    if (signal?.aborted || statusOf(err) !== 400) throw err;
    return [...failures, ...(await deleteEach(s3, batch, signal))];
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
    const errors = keys.length > 0 ? await deletePage(s3, keys, signal) : [];
    const failed = errors[0];
    if (failed) {
      const name = (failed.Key && s3.keys.relative(failed.Key)) ?? failed.Key;
      const more = errors.length > 1 ? ` and ${errors.length - 1} more` : '';
      const why = [failed.Code, failed.Message].filter(Boolean).join(': ') || 'refused';
      const context = { ...s3ErrorContext(s3.where('delete', key)), s3Code: failed.Code };
      throw new UfsError(
        failed.Code === 'AccessDenied' ? 'PERMISSION_DENIED' : 'UNAVAILABLE',
        `${describeContext(context)} could not delete "${name}"${more} (${why})`,
        { context },
      );
    }
    if (!page.IsTruncated || keys.length === 0) return;
    startAfter = keys.at(-1);
  }
}
