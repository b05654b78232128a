import { UfsError, isUfsError, toUfsError, type ErrorContext } from '@org/core';

/** True for an error serverFault made (it is not wrapped twice). */
export function isServerFault(err: unknown): err is UfsError {
  return isUfsError(err) && err.context.fault === 'server';
}

/**
 * A failure of one of the server's own backends (its content mount, its metadata store) as clients must see it: the
 * server's fault, never theirs, whatever the backend called it (PERMISSION_DENIED for a folder it may not write,
 * INVALID_INPUT for a folder where a file should be, TOO_LARGE, INTEGRITY, …; a 403 would read as "your key lacks a
 * scope"). It is 503 UNAVAILABLE when the backend said it may pass (UNAVAILABLE, TIMEOUT, RATE_LIMITED, or retryable)
 * or refused the server's access (PERMISSION_DENIED: EACCES, EPERM, EROFS; the server cannot store now, until an
 * operator fixes the mount), else 500 UNEXPECTED. The message keeps what happened (key, path, errno) for the server log; clients are told only the
 * kind (errorResponse gives a 5xx a generic detail). A full disk or quota (ENOSPC, EDQUOT, SQLITE_FULL) is 503 with
 * `context.full` (the detail says the storage is full), never retryable. Made once, where the backend is called: a
 * fault passes unchanged.
 */
export function serverFault(err: unknown, context: ErrorContext = {}): UfsError {
  if (isServerFault(err)) return err;
  const error = toUfsError(err, context);
  const transient =
    error.retryable || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT' || error.code === 'RATE_LIMITED';
  const denied = error.code === 'PERMISSION_DENIED';
  const full = storageFull(error);
  // A protocol reason of the backend's (a status of its own) must not pick the client's status.
  const { reason: _reason, ...where } = error.context;
  return new UfsError(transient || denied ? 'UNAVAILABLE' : 'UNEXPECTED', error.message, {
    cause: error,
    // A full disk is not retried at once: an operator (or a GC) must make room first.
    retryable: transient && error.retryable && !full,
    context: { ...where, fault: 'server', backendCode: error.code, ...(full && { full: true }) },
    ...(transient && error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  });
}

/** Errnos and SQLite codes of a storage that has no room left. */
const FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True when the error or one of its causes says the storage is full. */
export function storageFull(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const { code, context } = current as { code?: unknown; context?: { errno?: unknown } };
    if (typeof code === 'string' && FULL_CODES.has(code)) return true;
    if (typeof context?.errno === 'string' && FULL_CODES.has(context.errno)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
