import {
  UfsError,
  describeContext,
  httpError,
  isUfsError,
  toUfsError,
  type ErrorCode,
  type ErrorContext,
} from '@org/core';
import { plainHttpAnswerError } from '../../errors.js';
import { socketTimeoutError } from '../../util/socket-timeouts.js';

export function ufsError(code: ErrorCode, context: ErrorContext, detail: string, cause?: unknown): UfsError {
  return new UfsError(code, `${describeContext(context)} ${detail}`, { context, cause });
}

interface ResponseLike {
  status?: number;
  statusText?: string;
  headers?: { get?(name: string): string | null };
}

/** The HTTP status carried by an error of the `webdav` client (`err.status`, `err.response.status`). */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const direct = (err as { status?: unknown }).status;
  if (typeof direct === 'number') return direct;
  const nested = (err as { response?: ResponseLike }).response?.status;
  return typeof nested === 'number' ? nested : undefined;
}

const DETAILS: Record<number, string> = {
  401: 'the server refused the credentials (check username/password)',
  403: 'the server forbids this',
  404: 'no such file or folder',
  405: 'method not allowed here',
  409: 'conflict (a parent folder is missing?)',
  412: 'precondition failed (the target exists)',
  423: 'locked',
  507: 'insufficient storage on the server',
};

/**
 * Maps an error of the `webdav` client, of fetch (network), of an abort or of the sockets' timeouts
 * (`connectTimeoutMs`, `timeoutMs`) to a UfsError with context. `url`: the mount's `url`; when it is `https://` and
 * the server does not speak TLS, CONFIG_INVALID saying so (`try url: http://…`), not retried.
 */
export function webdavError(err: unknown, context: ErrorContext, signal?: AbortSignal, url?: string): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  const plain = plainHttpAnswerError(err, url === undefined ? undefined : { url, option: 'url' }, context);
  if (plain) return plain;
  if (signal?.aborted) {
    const timeout = (signal.reason as { name?: unknown } | null)?.name === 'TimeoutError';
    return new UfsError(
      timeout ? 'TIMEOUT' : 'ABORTED',
      `${describeContext(context)} ${timeout ? 'timed out' : 'aborted'}`,
      {
        context,
        cause: err,
      },
    );
  }
  const timeout = socketTimeoutError(err, context);
  if (timeout) return timeout;
  const status = statusOf(err);
  if (status !== undefined) {
    const response = (err as { response?: ResponseLike }).response;
    const detail = DETAILS[status] ?? response?.statusText ?? '';
    const mapped = httpError(status, detail, context, response?.headers?.get?.('retry-after') ?? undefined);
    return new UfsError(mapped.code, mapped.message, {
      context: mapped.context,
      retryable: mapped.retryable,
      retryAfterMs: mapped.retryAfterMs,
      cause: err,
    });
  }
  return toUfsError(err, context);
}
