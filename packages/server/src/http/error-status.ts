import { HTTP_STATUS_BY_CODE as CORE_HTTP_STATUS_BY_CODE, toUfsError, type ErrorCode, type UfsError } from '@org/core';

/**
 * The one mapping from error codes to HTTP statuses for the dedup server: core's table, except that a hash mismatch
 * is the uploader's fault (400) and a client that went away gets 499.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  ...CORE_HTTP_STATUS_BY_CODE,
  INTEGRITY: 400,
  ABORTED: 499,
});

/**
 * Protocol-specific statuses for a few error reasons (`error.context.reason`), set only by this server's code:
 * a missing/unknown/revoked API key is 401 (PutPlace), tus answers 412 for a wrong `Tus-Resumable` and 460 for a
 * checksum mismatch, a download answers 416 for a range past the end.
 */
export const HTTP_STATUS_BY_REASON: Readonly<Record<string, number>> = Object.freeze({
  unauthenticated: 401,
  'tus-version': 412,
  'checksum-mismatch': 460,
  'range-not-satisfiable': 416,
});

export interface ErrorBody {
  /** PutPlace clients read `detail`. */
  detail: string;
  code: ErrorCode;
  retryable: boolean;
}

/**
 * Status and JSON body for any error. The body never carries a stack trace, a cause or an internal path:
 * server-side failures (5xx) get a generic message; the full error is for the log only.
 */
export function errorResponse(err: unknown): { status: number; body: ErrorBody; error: UfsError } {
  const error = toUfsError(err);
  const reason = error.context.reason;
  const status =
    (typeof reason === 'string' ? HTTP_STATUS_BY_REASON[reason] : undefined) ?? HTTP_STATUS_BY_CODE[error.code];
  const detail =
    status >= 500 && error.code !== 'UNAVAILABLE' && error.code !== 'TIMEOUT' && error.code !== 'UNSUPPORTED'
      ? 'internal error'
      : error.message.replace(/^\[ufs\]\s*/, '');
  return { status, body: { detail, code: error.code, retryable: error.retryable }, error };
}
