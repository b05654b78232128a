import { HTTP_STATUS_BY_CODE as CORE_HTTP_STATUS_BY_CODE, toUfsError, type ErrorCode, type UfsError } from '@org/core';
import { storageFull } from './server-fault.js';

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
 * checksum mismatch, a download whose `If-Match` fails is 412, a download answers 416 for a range past the end, a body of a Content-Type the endpoint does not
 * take is 415, a JSON body that stalls past `bodyIdleTimeoutMs` is 408.
 */
export const HTTP_STATUS_BY_REASON: Readonly<Record<string, number>> = Object.freeze({
  unauthenticated: 401,
  'tus-version': 412,
  'precondition-failed': 412,
  'checksum-mismatch': 460,
  'range-not-satisfiable': 416,
  'unsupported-media-type': 415,
  'body-idle': 408,
});

/**
 * What a client is told of a server-side failure (5xx): the stable code says what kind, this says what to do. The
 * error's own message (driver messages with host names and addresses, storage paths) goes to the log only, unless
 * this server wrote it for clients (`context.reason: 'busy'`: wait and retry, and why).
 */
/** Operations of a content mount that only read. */
const READS: ReadonlySet<string> = new Set(['read', 'stat', 'list', 'open']);

function serverSideDetail(error: UfsError): string {
  // Written by this server for its clients (content being collected, an upload being finished elsewhere): kept.
  if (error.context.reason === 'busy') return error.message.replace(/^\[ufs\]\s*/, '');
  const backend = error.context.backend;
  switch (error.code) {
    case 'UNAVAILABLE':
      // A full disk (serverFault, the SQLite store): said as it is; not retryable, so no "try again".
      if (error.context.full === true || (backend === 'sqlite' && storageFull(error)))
        return backend === 'mongo' || backend === 'sqlite'
          ? "the server's metadata storage is full"
          : "the server's content storage is full";
      if (backend === 'mongo' || backend === 'sqlite') return 'metadata store unavailable, try again';
      // The content mount refused the server's access (serverFault): no retry helps until it is fixed.
      if (error.context.backendCode === 'PERMISSION_DENIED')
        return READS.has(String(error.context.operation))
          ? 'the server cannot read content now'
          : 'the server cannot store content now';
      // The text and the `retryable` flag agree: "try again" only for what may pass.
      return error.retryable ? 'temporarily unavailable, try again' : 'the server cannot do this now';
    case 'TIMEOUT':
      return 'the server timed out, try again';
    case 'UNSUPPORTED':
      return 'not supported by this server';
    default:
      return 'internal error';
  }
}

export interface ErrorBody {
  /** PutPlace clients read `detail`. */
  detail: string;
  code: ErrorCode;
  retryable: boolean;
  /**
   * A batch (`POST /put_files`) refused because of one record: that record's index in `files` (also named in
   * `detail` as `files[i]`, for clients that read only the message). Absent otherwise.
   */
  record?: number;
}

/**
 * Status and JSON body for any error. The body never carries a stack trace, a cause or an internal path:
 * server-side failures (5xx) get a generic message by code (serverSideDetail); the full error is for the log only.
 */
export function errorResponse(err: unknown): { status: number; body: ErrorBody; error: UfsError } {
  const error = toUfsError(err);
  const reason = error.context.reason;
  const status =
    (typeof reason === 'string' ? HTTP_STATUS_BY_REASON[reason] : undefined) ?? HTTP_STATUS_BY_CODE[error.code];
  const detail = status >= 500 ? serverSideDetail(error) : error.message.replace(/^\[ufs\]\s*/, '');
  const body: ErrorBody = { detail, code: error.code, retryable: error.retryable };
  const record = error.context.record;
  if (status < 500 && typeof record === 'number' && Number.isSafeInteger(record) && record >= 0) body.record = record;
  return { status, body, error };
}
