import {
  classifyDropboxSummary,
  classifyHttpStatus,
  dropboxErrorSummary,
  describeContext,
  isUfsError,
  parseRetryAfter,
  toUfsError,
  UfsError,
  type ErrorCode,
  type ErrorContext,
} from '@org/core';

/** What the SDK's DropboxResponseError (and our own content calls) carry. */
export interface DropboxFailure {
  status: number;
  headers?: { get?(name: string): string | null } | Record<string, string>;
  error?: unknown;
}

export function isDropboxFailure(err: unknown): err is DropboxFailure {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** `error_summary` of a 409 body (`path/not_found/..`), or the text of a 400 body. */
export function summaryOf(failure: DropboxFailure): string {
  return dropboxErrorSummary(failure.error);
}

function retryAfterOf(failure: DropboxFailure): number | undefined {
  const headers = failure.headers;
  const header =
    headers && typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  const fromHeader = parseRetryAfter(header);
  if (fromHeader !== undefined) return fromHeader;
  const seconds = (failure.error as { error?: { retry_after?: unknown } } | undefined)?.error?.retry_after;
  return typeof seconds === 'number' ? seconds * 1000 : undefined;
}

/** Maps anything a Dropbox call throws to a UfsError with `[ufs] [dropbox] <op> "<key>": <summary>`. */
export function dropboxError(err: unknown, context: ErrorContext): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  if (!isDropboxFailure(err)) return toUfsError(err, context);
  const { status } = err;
  const summary = summaryOf(err);
  const ctx = { ...context, status };
  let code: ErrorCode;
  let retryable: boolean;
  if (status === 409) {
    ({ code, retryable } = classifyDropboxSummary(summary));
  } else if (status === 400 && /invalid_grant/.test(summary)) {
    [code, retryable] = ['PERMISSION_DENIED', false];
  } else {
    const classified = classifyHttpStatus(status) ?? { code: 'UNEXPECTED' as const, retryable: false };
    [code, retryable] = [classified.code, classified.retryable];
  }
  const detail = summary || `HTTP ${status}`;
  return new UfsError(code, `${describeContext(ctx)} ${detail}`, {
    context: ctx,
    retryable,
    cause: err,
    retryAfterMs: code === 'RATE_LIMITED' ? retryAfterOf(err) : undefined,
  });
}

/** True for a mapped error whose Dropbox summary matches (e.g. `to/conflict/file`). */
export function hasSummary(error: UfsError, pattern: RegExp): boolean {
  const cause = error.cause;
  return isDropboxFailure(cause) && pattern.test(summaryOf(cause));
}
