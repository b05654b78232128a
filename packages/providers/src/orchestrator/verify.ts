import { createHash } from 'node:crypto';
import { UfsError, describeContext, toUfsError, type ProgressListener } from '@org/core';
import { header, httpStream, readText, excerpt, serviceHttpError } from '../http/transport.js';
import { signalError } from '../http/signals.js';

export interface VerifyOptions {
  provider: string;
  sha256: string;
  size: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: ProgressListener;
  /** Headers the download needs (a provider's `verifyHeaders`); then redirects are not followed (no leak). */
  headers?: Record<string, string>;
}

/**
 * Downloads `url` (following redirects, unless `headers` are sent), hashing as it streams, and compares size and
 * SHA-256 with the source. A mismatch is INTEGRITY; an HTTP error is classified like any other (so 503 may be retried).
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
    context,
  });
  if (reply.status !== 200) {
    const text = await readText(reply, context, 4096);
    throw serviceHttpError(reply.status, excerpt(text), context, header(reply.headers, 'retry-after'));
  }
  const hash = createHash('sha256');
  let loaded = 0;
  try {
    for await (const chunk of reply.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      loaded += chunk.byteLength;
      options.onProgress?.({ loaded, total: options.size, item: url, phase: 'verify' });
    }
  } catch (err) {
    throw signalError(reply.signals, context, err) ?? toUfsError(err, context);
  }
  const digest = hash.digest('hex');
  if (loaded !== options.size || digest !== options.sha256) {
    throw new UfsError(
      'INTEGRITY',
      `${describeContext(context)} the URL serves different bytes: expected ${options.size} bytes with SHA-256 ${options.sha256}, got ${loaded} bytes with ${digest}`,
      { context, retryable: false },
    );
  }
}
