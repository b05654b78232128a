import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UfsError, describeContext, httpError, toUfsError, type ErrorContext } from '@org/core';
import type { DeleteContext, SendContext, SentUpload } from '../kit/define.js';
import { encodeKeyPath } from '../kit/names.js';
import { requestSignals, signalError, type RequestSignals } from '../http/signals.js';
import { plainHttpError } from '../http/transport.js';
import { idleTimeoutError, idleTimeoutOf, isSdkIdleTimeout, s3HandlerOptions } from './idle-timeout.js';
import { partSizeFor, s3Token, type S3Settings } from '../providers/s3.js';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * The SDK turns a thrown value that is not an Error of its own realm (jest's VM contexts, workers) into "AWS SDK error
 * wrapper for TimeoutError: read ECONNRESET", dropping its name and code: both are recovered from the text, so that
 * the failure is classified as it is when the error comes through unwrapped (a reset, not a timeout).
 */
function unwrapped(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code !== undefined || typeof message !== 'string') return err;
  const wrapped = /^AWS SDK error wrapper for (\w+): ([^]*)$/.exec(message);
  if (!wrapped) return err;
  const found = /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b/.exec(wrapped[2]!)?.[1];
  return Object.assign(new Error(wrapped[2], { cause: err }), { name: wrapped[1] }, found ? { code: found } : {});
}

/** Maps an AWS SDK error: HTTP status through the core classification, network errors as such. */
export function s3Error(err: unknown, context: ErrorContext): UfsError {
  const sdk = err as SdkError;
  const status = sdk?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 300) {
    return httpError(
      status,
      `${sdk.name ?? 'Error'}: ${sdk.message ?? ''}`.trim(),
      context,
      sdk.$response?.headers?.['retry-after'],
    );
  }
  return toUfsError(unwrapped(err), context);
}

/**
 * The error of a failed SDK call: ABORTED/TIMEOUT when a signal fired or the idle timeout passed; an `https://`
 * endpoint whose server answers in plain HTTP said so (CONFIG_INVALID, not OpenSSL's `wrong version number`); else
 * `s3Error`.
 */
function sdkCallError(
  err: unknown,
  signals: RequestSignals,
  context: ErrorContext,
  idleTimeoutMs: number,
  endpoint: string | undefined,
): UfsError {
  return (
    signalError(signals, context, err) ??
    idleTimeoutError(err, signals, context, idleTimeoutMs) ??
    (endpoint !== undefined ? plainHttpError(err, endpoint, context) : undefined) ??
    s3Error(err, context)
  );
}

/**
 * Attempts of one part of a multipart upload: a part that failed on the way (a reset, a 5xx, throttling) is sent
 * again alone instead of the orchestrator sending the whole file again.
 */
export const PART_ATTEMPTS = 3;

interface PartToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The parts' retry strategy (the SDK's `RetryStrategyV2`): the SDK's standard decision and backoff (full jitter from
 * 100 ms, 500 ms when throttled, doubling, at most 20 s), up to `PART_ATTEMPTS`, except after the idle timeout: a
 * server that took none of a part for that long is left to the orchestrator, so a dead server still fails within
 * one idle timeout.
 */
function partRetryStrategy() {
  const token = (count: number, delay: number): PartToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (
      previous: PartToken,
      info: { errorType?: string; error?: unknown },
    ): Promise<PartToken> => {
      const count = previous.getRetryCount() + 1;
      if (count >= PART_ATTEMPTS || info.errorType === 'CLIENT_ERROR' || isSdkIdleTimeout(info.error)) {
        throw info.error instanceof Error ? info.error : new Error('no more attempts for this part');
      }
      const base = info.errorType === 'THROTTLING' ? 500 : 100;
      return token(count, Math.floor(Math.random() * Math.min(20_000, base * 2 ** count)));
    },
    recordSuccess: () => undefined,
  };
}

/**
 * A client for one call; every request of it (each part of a multipart upload too) has the idle timeout. Retries
 * belong to the orchestrator (core retry policy), so one failure is reported once: `maxAttempts: 1`, except for the
 * parts of a multipart upload (`forParts`: `partRetryStrategy`).
 */
function client(settings: S3Settings, idleTimeoutMs: number, forParts = false): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(forParts ? { maxAttempts: PART_ATTEMPTS, retryStrategy: partRetryStrategy() } : { maxAttempts: 1 }),
    requestHandler: s3HandlerOptions(idleTimeoutMs),
  });
}

/**
 * The client lib-storage's Upload sees: parts (UploadPart, safe to send again: the part number is replaced) go
 * through `parts`, whose SDK retries them; every other request (PutObject, CreateMultipartUpload,
 * CompleteMultipartUpload with its If-None-Match, AbortMultipartUpload) through `s3`, tried once.
 */
function partRetrying(s3: S3Client, parts: S3Client): S3Client {
  const send = ((command: Parameters<S3Client['send']>[0], options?: Parameters<S3Client['send']>[1]) =>
    command instanceof UploadPartCommand
      ? parts.send(command, options as never)
      : s3.send(command, options as never)) as S3Client['send'];
  return new Proxy(s3, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property, target)),
  });
}

/** The public URL of an object: under `publicUrl` when set, else the endpoint's (path- or host-style) address. */
export function publicUrl(settings: S3Settings, key: string): string {
  const path = encodeKeyPath(key);
  if (settings.publicBaseUrl) return `${settings.publicBaseUrl}/${path}`;
  if (settings.endpoint) {
    const endpoint = new URL(settings.endpoint);
    const base = endpoint.href.replace(/\/+$/, '');
    if (settings.forcePathStyle) return `${base}/${encodeURIComponent(settings.bucket)}/${path}`;
    return `${endpoint.protocol}//${settings.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}/${path}`;
  }
  return `https://${settings.bucket}.s3.${settings.region}.amazonaws.com/${path}`;
}

/** Streams the file into the bucket (multipart above `partSize`), then makes its URL. */
export async function s3Upload(
  settings: S3Settings,
  key: string,
  lifetimeMs: number | undefined,
  ctx: SendContext,
): Promise<SentUpload> {
  const context = { ...ctx.context, bucket: settings.bucket, key };
  const idleTimeoutMs = idleTimeoutOf(ctx.idleTimeoutMs);
  const s3 = client(settings, idleTimeoutMs);
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  const partSize = partSizeFor(settings, ctx.source.size);
  const exists = () =>
    new UfsError(
      'ALREADY_EXISTS',
      `${describeContext(context)} s3://${settings.bucket}/${key} already exists (ifNotExists: not replaced)`,
      { context, retryable: false },
    );
  if (settings.ifNotExists && ctx.source.size > partSize) {
    // A multipart upload sends If-None-Match with its CompleteMultipartUpload, which some S3-compatible servers
    // (radosgw) ignore: look first, so that an object already there is not replaced there either.
    const found = await s3
      .send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal: signals.signal })
      .then(
        () => true,
        (err: unknown) => {
          if ((err as SdkError)?.$metadata?.httpStatusCode === 404) return false;
          s3.destroy();
          throw sdkCallError(err, signals, context, idleTimeoutMs, settings.endpoint);
        },
      );
    if (found) {
      s3.destroy();
      throw exists();
    }
  }
  const body = ctx.source.open();
  const parts = client(settings, idleTimeoutMs, true);
  const upload = new Upload({
    client: partRetrying(s3, parts),
    params: {
      Bucket: settings.bucket,
      Key: key,
      Body: body,
      ContentType: ctx.source.contentType ?? 'application/octet-stream',
      ...(settings.acl ? { ACL: settings.acl as ObjectCannedACL } : {}),
      // Sent with the PutObject, or the CompleteMultipartUpload of a multipart upload.
      ...(settings.ifNotExists ? { IfNoneMatch: '*' } : {}),
    },
    partSize,
    queueSize: settings.queueSize,
    leavePartsOnError: false,
  });
  upload.on('httpUploadProgress', (event) => {
    if (event.loaded !== undefined) ctx.progress(event.loaded);
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  signals.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signals.signal?.aborted) onAbort();
    const done = await upload.done();
    // The object's ETag as written: a clean-up deletes the object only while it is still this one.
    const written = 'ETag' in done && typeof done.ETag === 'string' ? { written: done.ETag } : {};
    const started = Date.now();
    if (settings.urlMode === 'public')
      return { url: publicUrl(settings, key), deleteToken: s3Token(settings.bucket, key), ...written };
    const seconds = Math.round((lifetimeMs ?? 86_400_000) / 1000);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: settings.bucket, Key: key }), {
      expiresIn: seconds,
    });
    return {
      url,
      deleteToken: s3Token(settings.bucket, key),
      expiresAt: new Date(started + seconds * 1000),
      ...written,
    };
  } catch (err) {
    const stopped = signalError(signals, context, err);
    if (stopped) throw stopped;
    if (settings.ifNotExists && (err as SdkError)?.$metadata?.httpStatusCode === 412) throw exists();
    throw sdkCallError(err, signals, context, idleTimeoutMs, settings.endpoint);
  } finally {
    signals.signal?.removeEventListener('abort', onAbort);
    body.destroy();
    s3.destroy();
    parts.destroy();
  }
}

/**
 * Deletes the object; with `written` (the ETag an upload got), only while the object still has it: another writer
 * that stored under the same key since then keeps its object (INTEGRITY, nothing deleted).
 */
export async function s3Delete(settings: S3Settings, key: string, ctx: DeleteContext, written?: string): Promise<void> {
  const context = { ...ctx.context, bucket: settings.bucket, key };
  const idleTimeoutMs = idleTimeoutOf(ctx.idleTimeoutMs);
  const s3 = client(settings, idleTimeoutMs);
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  try {
    if (written !== undefined) {
      const head = await s3
        .send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal: signals.signal })
        .catch((err: unknown) => {
          if ((err as SdkError)?.$metadata?.httpStatusCode === 404) return undefined;
          throw err;
        });
      if (head === undefined) return; // already gone
      if (head.ETag !== written) {
        throw new UfsError(
          'INTEGRITY',
          `${describeContext(context)} not deleted: s3://${settings.bucket}/${key} is no longer the object this upload wrote (ETag ${head.ETag ?? 'none'}, not ${written}): another upload replaced it`,
          { context, retryable: false },
        );
      }
    }
    await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal: signals.signal });
  } catch (err) {
    if (err instanceof UfsError) throw err;
    throw sdkCallError(err, signals, context, idleTimeoutMs, settings.endpoint);
  } finally {
    s3.destroy();
  }
}
