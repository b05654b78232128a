import { STATUS_CODES } from 'node:http';
import { HTTP_STATUS_BY_CODE, toUfsError, type ErrorCode, type UfsError } from '@org/core';

/** HTTP status for each error code when serving a node: core's table as it is (INTEGRITY 502, ABORTED 500). */
export const SERVE_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = HTTP_STATUS_BY_CODE;

/** Status and a body safe to show: the status text and the stable code, never the message (paths, buckets). */
export function errorAnswer(err: unknown): { status: number; body: string; error: UfsError } {
  const error = toUfsError(err, { operation: 'serve' });
  const status = SERVE_STATUS_BY_CODE[error.code];
  return { status, body: `${STATUS_CODES[status] ?? 'Error'} (${error.code})\n`, error };
}
