import { createHash } from 'node:crypto';
import { UfsError, describeContext, type ProgressListener } from '@org/core';
import {
  discard,
  header,
  httpStream,
  readBytes,
  excerpt,
  serviceHttpError,
  transportError,
} from '../http/transport.js';

export interface VerifyOptions {
  provider: string;
  sha256: string;
  size: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Idle timeout (no answer, or no data, this long); default the transport's (60 s). */
  idleTimeoutMs?: number;
  onProgress?: ProgressListener;
  /** Headers the download needs (a provider's `verifyHeaders`); then redirects are not followed (no leak). */
  headers?: Record<string, string>;
}

/**
 * Downloads `url` (following redirects, unless `headers` are sent), hashing as it streams, and compares size and
 * SHA-256 with the source. A mismatch is INTEGRITY, found as early as possible: a `Content-Length` other than the
 * size before any byte is read, a body longer than the size as soon as it passes it (so an endless body cannot hold
 * the check). An HTTP error is classified like any other (so 503 may be retried).
 */
export async function verifyDownload(url: string, options: VerifyOptions): Promise<void> {
  const context = { provider: options.provider, operation: 'verify', path: url };
  const reply = await httpStream({
    url,
    method: 'GET',
    ...(options.headers ? { headers: options.headers } : {}),
    // Credentials are never carried to whatever host a redirect names.
    followRedirects: options.headers === undefined,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    context,
  });
  if (reply.status !== 200) {
    const body = await readBytes(reply, context, 4096);
    throw serviceHttpError(
      reply.status,
      excerpt(body, undefined, body.byteLength >= 4096),
      context,
      header(reply.headers, 'retry-after'),
    );
  }
  const mismatch = (what: string) =>
    new UfsError(
      'INTEGRITY',
      `${describeContext(context)} the URL serves different bytes: expected ${options.size} bytes with SHA-256 ${options.sha256}, ${what}`,
      { context, retryable: false },
    );
  const declared = header(reply.headers, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) !== options.size) {
    discard(reply.body);
    throw mismatch(`got Content-Length ${Number(declared)}`);
  }
  const hash = createHash('sha256');
  let loaded = 0;
  try {
    for await (const chunk of reply.body as AsyncIterable<Buffer>) {
      loaded += chunk.byteLength;
      // Leaving the loop destroys the body: nothing more is downloaded.
      if (loaded > options.size) break;
      hash.update(chunk);
      options.onProgress?.({ loaded, total: options.size, item: url, phase: 'verify' });
    }
  } catch (err) {
    throw transportError(err, reply.signals, context, reply.idleTimeoutMs);
  }
  if (loaded > options.size) throw mismatch(`got more than ${options.size} bytes`);
  const digest = hash.digest('hex');
  if (loaded !== options.size || digest !== options.sha256) throw mismatch(`got ${loaded} bytes with ${digest}`);
}
