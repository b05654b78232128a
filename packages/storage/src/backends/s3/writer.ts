import { Readable, Transform, pipeline } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UfsError, type WriteOptions, type WriteResult } from '@org/core';
import { bytesOf } from '../../util/replayable.js';
import type { S3Context } from './context.js';
import { abortedError, isMissingObject, s3ErrorContext, type S3ErrorContext } from './errors.js';
import { withMtime } from '../../util/mtime-metadata.js';
import { checkMetadata, encodeMetadata, unquoteEtag } from './keys.js';
import { MAX_PARTS, MAX_PART_SIZE } from './options.js';
import { isRetriedPreconditionFailure, md5Etag, ownObject, SentDigest } from './own-write.js';

type Send = S3Client['send'];

/**
 * The client as lib-storage's Upload sees it: every request it sends carries the write's cancel signal, except the
 * ones that must not be cut short — CreateMultipartUpload (so an upload id is never lost and can be aborted),
 * CompleteMultipartUpload (the server may complete anyway) and AbortMultipartUpload (the clean-up itself).
 * `beforeMultipart` runs once before a multipart upload starts.
 */
function cancellable(client: S3Client, signal: AbortSignal, beforeMultipart: () => Promise<void>): S3Client {
  const send = (async (command: Parameters<Send>[0], options?: Parameters<Send>[1]) => {
    if (command instanceof CreateMultipartUploadCommand) await beforeMultipart();
    const exempt =
      command instanceof CreateMultipartUploadCommand ||
      command instanceof CompleteMultipartUploadCommand ||
      command instanceof AbortMultipartUploadCommand;
    const opts = typeof options === 'object' && options !== null ? options : {};
    return client.send(command, exempt ? opts : { ...opts, abortSignal: signal });
  }) as Send;
  return new Proxy(client, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property, target)),
  });
}

/** Refuses an existing key before writing, where the server does not enforce If-None-Match. */
async function refuseExisting(s3: S3Context, key: string, objectKey: string, signal?: AbortSignal): Promise<void> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: objectKey }), { abortSignal: signal });
  } catch (err) {
    if (isMissingObject(err)) return;
    throw err;
  }
  throw s3.error('ALREADY_EXISTS', 'write', key, 'the object already exists');
}

/** The write's result from S3's answer (radosgw's CompleteMultipartUpload parses to an empty ETag: left out). */
function writeResult(key: string, size: number, answer: { ETag?: string; VersionId?: string }): WriteResult {
  const done: WriteResult = { key, size };
  const etag = unquoteEtag(answer.ETag);
  if (etag) done.etag = etag;
  if (answer.VersionId) done.versionId = answer.VersionId;
  return done;
}

/** A failed write as a UfsError: ABORTED when the caller's signal stopped it, else S3's error mapped. */
function writeFailure(
  s3: S3Context,
  key: string,
  where: S3ErrorContext,
  signal: AbortSignal | undefined,
  err: unknown,
): UfsError {
  if (signal?.aborted) {
    return new UfsError('ABORTED', abortedError(where).message, { context: s3ErrorContext(where), cause: err });
  }
  return s3.fail(err, 'write', key);
}

/**
 * In-memory content up to one part: a single PutObject with the Buffer (no stream, no Upload machinery). With
 * `ifNotExists`, a 412 after the SDK sent the PutObject again (the answer to the first was lost) is this write's own
 * object when the object there has its size and MD5: success, not ALREADY_EXISTS.
 */
async function putBytes(
  s3: S3Context,
  key: string,
  objectKey: string,
  body: Buffer,
  metadata: Record<string, string> | undefined,
  options: WriteOptions,
): Promise<WriteResult> {
  const where = s3.where('write', key);
  const { signal } = options;
  try {
    if (options.ifNotExists && !s3.options.conditionalWrite) await refuseExisting(s3, key, objectKey, signal);
    const result = await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: objectKey,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        Metadata: metadata,
        IfNoneMatch: options.ifNotExists ? '*' : undefined,
      }),
      { abortSignal: signal },
    );
    options.onProgress?.(body.byteLength);
    return writeResult(key, body.byteLength, result);
  } catch (err) {
    if (err instanceof UfsError && !signal?.aborted) throw err;
    if (options.ifNotExists && !signal?.aborted && isRetriedPreconditionFailure(err)) {
      const ours = await ownObject(s3, objectKey, body.byteLength, [md5Etag(body)], signal);
      if (ours) {
        options.onProgress?.(body.byteLength);
        return writeResult(key, body.byteLength, ours);
      }
    }
    throw writeFailure(s3, key, where, signal, err);
  }
}

/**
 * Writes a stream through lib-storage's `Upload`: one PutObject for sources up to `partSize`, a multipart upload
 * (`queueSize` parts in flight, so memory stays at about queueSize × partSize) for larger ones. On failure or abort
 * the in-flight parts are cancelled and the multipart upload is aborted before this returns, so no parts leak and
 * no partial object is ever visible. `ifNotExists` sends `If-None-Match: *` (PutObject and
 * CompleteMultipartUpload); before a multipart upload starts it also checks that the key is free, so a large
 * conflicting write fails before uploading, and servers that ignore the header on completion (radosgw 16, for
 * one) still refuse a key that exists. With `conditionalWrite: false` that check runs before every such write.
 * A 412 after the SDK sent the PutObject or CompleteMultipartUpload again (the answer to the first was lost) is
 * this write's own object when the object there has its size and ETag (the MD5 of what was sent, or the multipart
 * form of the parts' MD5s): success, not ALREADY_EXISTS.
 */
export async function write(
  s3: S3Context,
  key: string,
  source: Readable | AsyncIterable<Uint8Array>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const where = s3.where('write', key);
  const { signal } = options;
  let objectKey: string;
  let metadata: Record<string, string> | undefined;
  try {
    objectKey = s3.keys.object(key, 'write');
    checkMetadata(options.metadata, where);
    metadata = encodeMetadata(withMtime(options.metadata, options.mtime), where);
    if (signal?.aborted) throw abortedError(where);
  } catch (err) {
    // Refused before starting: the source is released all the same.
    if (source instanceof Readable) source.destroy();
    throw err;
  }

  const inMemory = bytesOf(source);
  if (inMemory && inMemory.byteLength <= s3.options.partSize)
    return putBytes(s3, key, objectKey, inMemory, metadata, options);

  let bytes = 0;
  const partSize = Math.min(MAX_PART_SIZE, Math.max(s3.options.partSize, Math.ceil((options.size ?? 0) / MAX_PARTS)));
  // What was sent, as S3's ETag of it: only needed to know a conditional write's own object after a lost answer.
  const sent = options.ifNotExists && s3.options.conditionalWrite ? new SentDigest(partSize) : undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      sent?.update(chunk);
      callback(null, chunk);
    },
  });
  const input = source instanceof Readable ? source : Readable.from(source);
  // pipeline destroys every stream with the first error, so the uploader sees source failures at once.
  pipeline(input, counter, () => undefined);

  const cancel = new AbortController();
  let checked = false;
  const checkFree = async () => {
    if (!options.ifNotExists || checked) return;
    checked = true;
    try {
      await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: objectKey }), {
        abortSignal: cancel.signal,
      });
    } catch (err) {
      if (isMissingObject(err)) return;
      throw err;
    }
    throw s3.error('ALREADY_EXISTS', 'write', key, 'the object already exists');
  };
  const onAbort = () => {
    cancel.abort();
    counter.destroy(abortedError(where));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // Where the server does not enforce If-None-Match (conditionalWrite: false), check first: not atomic, but a
  // conflicting write is refused unless another writer slips in between.
  if (!s3.options.conditionalWrite) {
    try {
      await checkFree();
    } catch (err) {
      signal?.removeEventListener('abort', onAbort);
      counter.destroy();
      throw signal?.aborted ? abortedError(where) : s3.fail(err, 'write', key);
    }
  }
  const upload = new Upload({
    client: cancellable(s3.client, cancel.signal, checkFree),
    partSize,
    queueSize: s3.options.queueSize,
    leavePartsOnError: false,
    params: {
      Bucket: s3.bucket,
      Key: objectKey,
      Body: counter,
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      Metadata: metadata,
      IfNoneMatch: options.ifNotExists ? '*' : undefined,
    },
  });
  const { onProgress } = options;
  if (onProgress) {
    upload.on('httpUploadProgress', (progress) => {
      if (progress.loaded !== undefined) onProgress(progress.loaded);
    });
  }
  try {
    const answer = await upload.done(); // first: `bytes` counts up while the upload runs
    return writeResult(key, bytes, answer);
  } catch (err) {
    if (sent && !signal?.aborted && counter.writableFinished && isRetriedPreconditionFailure(err)) {
      const ours = await ownObject(s3, objectKey, bytes, sent.etags(), signal);
      if (ours) {
        onProgress?.(bytes);
        return writeResult(key, bytes, ours);
      }
    }
    throw writeFailure(s3, key, where, signal, err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!counter.destroyed) counter.destroy();
  }
}
