import { PassThrough, Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { EntryStat, ReadOptions } from '@org/core';
import type { S3Context } from './context.js';
import { abortedError, isMissingObject } from './errors.js';
import { mtimeIn, withoutMtime } from '../../util/mtime-metadata.js';
import { decodeMetadata, md5FromEtag, unquoteEtag } from './keys.js';
import { folderEntry } from '../../util/entries.js';

export function fileStat(key: string, head: HeadObjectCommandOutput): EntryStat {
  const etag = unquoteEtag(head.ETag);
  const stat: EntryStat = { key, isFile: true, isDir: false, size: head.ContentLength ?? 0 };
  // A kept modification time (user metadata `mtime`, see util/mtime-metadata.ts) wins over the upload time.
  const mtime = mtimeIn(head.Metadata) ?? head.LastModified;
  if (mtime) stat.mtime = mtime;
  if (etag) stat.etag = etag;
  if (head.ContentType) stat.contentType = head.ContentType;
  if (head.CacheControl) stat.cacheControl = head.CacheControl;
  if (head.VersionId && head.VersionId !== 'null') stat.versionId = head.VersionId;
  stat.metadata = decodeMetadata(withoutMtime(head.Metadata));
  const hash = md5FromEtag(etag, { sse: head.ServerSideEncryption, sseCustomer: head.SSECustomerAlgorithm });
  if (hash) stat.hash = hash;
  return stat;
}

/** HeadObject of a file; when there is none, a folder when any object lies below `key/`; else null. */
export async function stat(
  s3: S3Context,
  key: string,
  options: { versionId?: string; signal?: AbortSignal } = {},
): Promise<EntryStat | null> {
  try {
    if (key !== '') {
      try {
        const head = await s3.client.send(
          new HeadObjectCommand({ Bucket: s3.bucket, Key: s3.keys.object(key, 'stat'), VersionId: options.versionId }),
          { abortSignal: options.signal },
        );
        return fileStat(key, head);
      } catch (err) {
        if (!isMissingObject(err)) throw err;
        if (options.versionId !== undefined) return null;
      }
    }
    // A folder exists while something lies below it; the root always exists (this call also checks the bucket).
    const page = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.keys.folder(key), MaxKeys: 1 }),
      { abortSignal: options.signal },
    );
    return key === '' || (page.KeyCount ?? page.Contents?.length ?? 0) > 0 ? folderEntry(key) : null;
  } catch (err) {
    throw s3.fail(err, 'stat', key);
  }
}

function rangeHeader(options: ReadOptions): string | undefined {
  const { start, end } = options;
  if (start === undefined && end === undefined) return undefined;
  if (start === 0 && end === undefined) return undefined;
  return `bytes=${start ?? 0}-${end ?? ''}`;
}

/** GetObject as a Node stream; ranges are inclusive and may be open-ended; a start past the end reads nothing. */
export async function read(s3: S3Context, key: string, options: ReadOptions = {}): Promise<Readable> {
  const { signal } = options;
  if (signal?.aborted) throw abortedError(s3.where('read', key));
  for (const [name, value] of [
    ['start', options.start],
    ['end', options.end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw s3.error('INVALID_INPUT', 'read', key, `${name} must be a byte offset (a whole number ≥ 0), got ${value}`);
    }
  }
  const range = rangeHeader(options);
  try {
    if (options.start !== undefined && options.end !== undefined && options.end < options.start) {
      return Readable.from([]);
    }
    const response = await s3.client.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: s3.keys.object(key, 'read'),
        Range: range,
        VersionId: options.versionId,
      }),
      { abortSignal: signal },
    );
    const body = response.Body;
    if (!(body instanceof Readable)) {
      throw new Error(`GetObject returned ${typeof body} instead of a Node stream`);
    }
    return guarded(
      body,
      (err) => s3.fail(err, 'read', key),
      () => abortedError(s3.where('read', key)),
      signal,
    );
  } catch (err) {
    // Like fs.createReadStream: a range that starts past the last byte is empty (S3 answers 416).
    if (range && (err as { name?: string }).name === 'InvalidRange') return Readable.from([]);
    throw s3.fail(err, 'read', key);
  }
}

/**
 * The body as a stream whose errors are UfsErrors (a reset socket mid-read becomes UNAVAILABLE), which an abort
 * signal ends with ABORTED, and whose early destruction by the reader releases the connection.
 */
function guarded(
  body: Readable,
  map: (err: unknown) => Error,
  aborted: () => Error,
  signal: AbortSignal | undefined,
): Readable {
  const out = new PassThrough();
  body.once('error', (err) => out.destroy(map(err)));
  const onAbort = () => out.destroy(aborted());
  signal?.addEventListener('abort', onAbort, { once: true });
  out.once('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
