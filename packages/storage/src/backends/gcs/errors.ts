import { describeContext, httpError, isUfsError, toUfsError, UfsError, type ErrorContext } from '@org/core';
import { plainHttpAnswerError, type ConfiguredAddress } from '../../errors.js';
import { socketTimeoutError, type SocketTimeouts } from '../../util/socket-timeouts.js';

interface GcsErrorLike {
  code?: unknown;
  status?: unknown;
  message?: string;
  errors?: { reason?: string; message?: string }[];
  response?: { status?: number; headers?: Record<string, string | undefined> | { get?(name: string): string | null } };
}

/** HTTP status of an ApiError (`code`), a GaxiosError (`response.status`) or an upload error. */
export function gcsStatus(err: unknown): number | undefined {
  const e = err as GcsErrorLike | null;
  if (!e || typeof e !== 'object') return undefined;
  for (const value of [e.code, e.status, e.response?.status]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

function retryAfter(err: GcsErrorLike): string | undefined {
  const headers = err.response?.headers;
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get('retry-after') ?? undefined;
  }
  return (headers as Record<string, string | undefined>)['retry-after'];
}

/** True when a 404 is about the bucket rather than the object. */
export function isMissingBucket(err: unknown): boolean {
  const e = err as GcsErrorLike | null;
  // ApiErrors carry the JSON error; errors of resumable uploads keep the response body in response.data.
  const data = (e?.response as { data?: unknown } | undefined)?.data;
  const text = [
    e?.message,
    ...(e?.errors ?? []).map((x) => x.message),
    typeof data === 'string' ? data : JSON.stringify(data),
  ].join(' ');
  return gcsStatus(err) === 404 && /bucket does not exist/i.test(text);
}

/**
 * node-fetch's own timeout (the SDK's per-request `timeout`): `request` before the response's headers (`network
 * timeout at: <url>`), `body` when its body has not ended in time (`Response timeout while trying to fetch <url>`).
 */
function fetchTimeout(err: unknown): 'request' | 'body' | undefined {
  const e = err as { name?: unknown; type?: unknown } | null;
  if (e?.name !== 'FetchError') return undefined;
  return e.type === 'request-timeout' ? 'request' : e.type === 'body-timeout' ? 'body' : undefined;
}

/**
 * Maps an @google-cloud/storage error to a UfsError with the context of the operation. `timeouts`: the limits of
 * the client the backend built, named by a TIMEOUT; `address`: its configured API endpoint, named by CONFIG_INVALID
 * when it is `https://` and its server does not speak TLS.
 */
export function mapGcsError(
  err: unknown,
  context: ErrorContext,
  bucket: string,
  timeouts?: SocketTimeouts,
  address?: ConfiguredAddress,
): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  const plain = plainHttpAnswerError(err, address, context);
  if (plain) return plain;
  const e = (err ?? {}) as GcsErrorLike;
  const prefix = describeContext(context);
  // A request whose socket was idle for timeoutMs (request-timeouts.ts): `… no answer from <endpoint> for N ms (timeoutMs)`.
  const idle = socketTimeoutError(err, context);
  if (idle) return idle;
  const fetchTimedOut = fetchTimeout(err);
  if (fetchTimedOut) {
    const server = timeouts?.endpoint ?? 'the server';
    const within = timeouts ? `${timeouts.connectTimeoutMs + timeouts.timeoutMs} ms ` : '';
    const what = fetchTimedOut === 'request' ? `no answer from ${server}` : `the reply from ${server} did not end`;
    return new UfsError('TIMEOUT', `${prefix} ${what} within ${within}(connectTimeoutMs + timeoutMs)`, {
      context: { ...context, timeout: 'timeoutMs' },
      cause: err,
      retryable: true,
    });
  }
  const status = gcsStatus(err);
  const reason = e.errors?.[0]?.reason;
  const options = { context: { ...context, status, gcsReason: reason }, cause: err };
  if (e.code === 'FILE_NO_UPLOAD' || e.code === 'CONTENT_DOWNLOAD_MISMATCH' || e.code === 'FILE_NO_UPLOAD_DELETE') {
    return new UfsError('INTEGRITY', `${prefix} checksum mismatch between the bytes sent and what GCS stored`, options);
  }
  if (status === 404) {
    if (isMissingBucket(err)) return new UfsError('NOT_FOUND', `${prefix} bucket "${bucket}" does not exist`, options);
    return new UfsError('NOT_FOUND', `${prefix} no such file`, options);
  }
  if (status === 412) return new UfsError('ALREADY_EXISTS', `${prefix} the file already exists`, options);
  if (status === 401 || status === 403) {
    const detail = (e.message ?? '').split('\n')[0];
    return new UfsError(
      'PERMISSION_DENIED',
      `${prefix} access denied by GCS (${status}${detail ? `: ${detail}` : ''}): check the credentials and IAM roles`,
      options,
    );
  }
  if (status !== undefined && status >= 400) {
    const mapped = httpError(status, reason ?? (e.message ?? '').split('\n')[0] ?? '', context, retryAfter(e));
    return new UfsError(mapped.code, mapped.message, {
      context: { ...mapped.context, gcsReason: reason },
      cause: err,
      retryable: mapped.retryable,
      retryAfterMs: mapped.retryAfterMs,
    });
  }
  if (/^(SigningError)$/.test((err as Error)?.name ?? '')) {
    return new UfsError('PERMISSION_DENIED', `${prefix} cannot sign the URL: ${e.message ?? ''}`, options);
  }
  return toUfsError(err, context);
}
