import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { CopyOptions } from '@org/core';
import type { S3Context } from './context.js';
import { mtimeIn, withMtime, withoutMtime } from '../../util/mtime-metadata.js';
import { checkMetadata, decodeMetadata, encodeMetadata } from './keys.js';
import { MAX_PARTS } from './options.js';

interface CopyJob {
  source: string;
  target: string;
  head: HeadObjectCommandOutput;
  /** Replace user metadata with this (already encoded); undefined keeps the source's. */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  /** The operation and key its errors name. */
  operation: string;
  key: string;
}

/** Content headers that a metadata REPLACE would otherwise reset. */
function contentHeaders(head: HeadObjectCommandOutput) {
  return {
    ContentType: head.ContentType,
    CacheControl: head.CacheControl,
    ContentDisposition: head.ContentDisposition,
    ContentEncoding: head.ContentEncoding,
    ContentLanguage: head.ContentLanguage,
    StorageClass: head.StorageClass,
  };
}

/**
 * Server-side copy; `metadata` replaces the user metadata and `mtime` the kept modification time (MetadataDirective
 * REPLACE, content headers kept). Otherwise the metadata, the kept modification time with it, is copied as it is.
 */
export async function copy(s3: S3Context, from: string, to: string, options: CopyOptions = {}): Promise<void> {
  try {
    const source = s3.keys.object(from, 'copy');
    const target = s3.keys.object(to, 'copy');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: source }), {
      abortSignal: options.signal,
    });
    checkMetadata(options.metadata, { operation: 'copy', path: to, mount: s3.mount });
    const replace = options.metadata !== undefined || options.mtime !== undefined;
    const user = options.metadata ?? decodeMetadata(withoutMtime(head.Metadata));
    const kept = withMtime(user, options.mtime ?? mtimeIn(head.Metadata));
    const metadata = replace ? encodeMetadata(kept, { operation: 'copy', path: to, mount: s3.mount }) : undefined;
    // S3 refuses to copy an object onto itself unchanged; the copy is already there.
    if (source === target && metadata === undefined) return;
    await copyObject(s3, { source, target, head, metadata, signal: options.signal, operation: 'copy', key: from });
  } catch (err) {
    throw s3.fail(err, 'copy', from).withContext({ to });
  }
}

/** Replaces an object's user metadata by copying it onto itself (a new version on versioned buckets). */
export async function setMetadata(s3: S3Context, key: string, metadata: Record<string, string>): Promise<void> {
  try {
    const objectKey = s3.keys.object(key, 'setMetadata');
    checkMetadata(metadata, { operation: 'setMetadata', path: key, mount: s3.mount });
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: objectKey }));
    // The kept modification time is not user metadata: it stays.
    const kept = withMtime(metadata, mtimeIn(head.Metadata));
    const encoded = encodeMetadata(kept, { operation: 'setMetadata', path: key, mount: s3.mount }) ?? {};
    await copyObject(s3, {
      source: objectKey,
      target: objectKey,
      head,
      metadata: encoded,
      operation: 'setMetadata',
      key,
    });
  } catch (err) {
    throw s3.fail(err, 'setMetadata', key);
  }
}

async function copyObject(s3: S3Context, job: CopyJob): Promise<void> {
  const size = job.head.ContentLength ?? 0;
  if (size > s3.options.multipartCopyThreshold) return multipartCopy(s3, job, size);
  const replace = job.metadata !== undefined;
  await s3.client.send(
    new CopyObjectCommand({
      Bucket: s3.bucket,
      Key: job.target,
      CopySource: s3.keys.copySource(job.source),
      MetadataDirective: replace ? 'REPLACE' : 'COPY',
      ...(replace ? { ...contentHeaders(job.head), Metadata: job.metadata } : { StorageClass: job.head.StorageClass }),
    }),
    { abortSignal: job.signal },
  );
}

/**
 * CopyObject stops at 5 GiB: larger objects are copied part by part with UploadPartCopy (`queueSize` at a time),
 * each part pinned to the source's ETag so a source changed mid-copy fails the copy instead of mixing versions.
 * On any failure the multipart upload is aborted once no part is in flight.
 */
async function multipartCopy(s3: S3Context, job: CopyJob, size: number): Promise<void> {
  const { head } = job;
  const created = await s3.client.send(
    new CreateMultipartUploadCommand({
      Bucket: s3.bucket,
      Key: job.target,
      ...contentHeaders(head),
      Metadata: job.metadata ?? head.Metadata,
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  const partSize = Math.max(s3.options.copyPartSize, Math.ceil(size / MAX_PARTS));
  const count = Math.ceil(size / partSize);
  const parts: CompletedPart[] = [];
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      const index = next++;
      const start = index * partSize;
      const end = Math.min(size, start + partSize) - 1;
      try {
        const result = await s3.client.send(
          new UploadPartCopyCommand({
            Bucket: s3.bucket,
            Key: job.target,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: s3.keys.copySource(job.source),
            CopySourceRange: `bytes=${start}-${end}`,
            CopySourceIfMatch: head.ETag,
          }),
          { abortSignal: job.signal },
        );
        parts[index] = { PartNumber: index + 1, ETag: result.CopyPartResult?.ETag };
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  try {
    const settled = await Promise.allSettled(Array.from({ length: Math.min(s3.options.queueSize, count) }, worker));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw sourceChanged(s3, job, rejected.reason);
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: s3.bucket,
        Key: job.target,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    await s3.client
      .send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: job.target, UploadId: uploadId }))
      .catch((abortError: unknown) => {
        if (err instanceof Error && err.cause === undefined) err.cause = abortError;
      });
    throw err;
  }
}

/** A 412 on UploadPartCopy means the source changed while it was being copied. */
function sourceChanged(s3: S3Context, job: CopyJob, err: unknown): unknown {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== 412) return err;
  const why = 'the source changed while it was being copied; try again';
  return s3.error('UNAVAILABLE', job.operation, job.key, why, err);
}
