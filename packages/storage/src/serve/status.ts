import { STATUS_CODES } from 'node:http';
import { toUfsError, type ErrorCode, type UfsError } from '@org/core';

/** HTTP status for each error code when serving a node (the same table as the server's, INTEGRITY aside). */
export const SERVE_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  UNSUPPORTED: 501,
  CONFIG_INVALID: 500,
  INVALID_INPUT: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  TOO_LARGE: 413,
  // Stored content that fails its own check is the server's problem, not the client's.
  INTEGRITY: 502,
  ABORTED: 500,
  TIMEOUT: 504,
  UNEXPECTED: 500,
});

/** Status and a body safe to show: the status text and the stable code, never the message (paths, buckets). */
export function errorAnswer(err: unknown): { status: number; body: string; error: UfsError } {
  const error = toUfsError(err, { operation: 'serve' });
  const status = SERVE_STATUS_BY_CODE[error.code];
  return { status, body: `${STATUS_CODES[status] ?? 'Error'} (${error.code})\n`, error };
}
