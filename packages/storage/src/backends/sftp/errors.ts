import {
  UfsError,
  classifyNodeError,
  describeContext,
  isUfsError,
  toUfsError,
  type ErrorCode,
  type ErrorContext,
} from '@org/core';
import { socketTimeoutError } from '../../util/socket-timeouts.js';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7), as ssh2 puts them in `err.code`. */
export const STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** The SFTP status code of an ssh2 error, if it is one. */
export function sftpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function ufsError(code: ErrorCode, context: ErrorContext, detail: string, cause?: unknown): UfsError {
  return new UfsError(code, `${describeContext(context)} ${detail}`, { context, cause });
}

/**
 * Maps an error raised while a session was in use. `connectionLost` says the session died meanwhile: whatever the
 * error says then, the cause is the lost connection (UNAVAILABLE, retryable).
 */
export function sftpError(err: unknown, context: ErrorContext, connectionLost = false, signal?: AbortSignal): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    const timeout = (reason as { name?: unknown } | null)?.name === 'TimeoutError';
    return new UfsError(
      timeout ? 'TIMEOUT' : 'ABORTED',
      `${describeContext(context)} ${timeout ? 'timed out' : 'aborted'}`,
      {
        context,
        cause: err,
      },
    );
  }
  // Requests that got no answer for `timeoutMs` (see guardedChannel): TIMEOUT, naming the server and the option.
  const timeout = socketTimeoutError(err, context);
  if (timeout) return timeout;
  const status = sftpStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (status) {
    case STATUS.NO_SUCH_FILE:
      return ufsError('NOT_FOUND', context, 'no such file or folder', err);
    case STATUS.PERMISSION_DENIED:
      return ufsError('PERMISSION_DENIED', context, 'the server denied permission', err);
    case STATUS.OP_UNSUPPORTED:
      return ufsError('UNSUPPORTED', context, 'the SFTP server does not support this operation', err);
    case STATUS.NO_CONNECTION:
    case STATUS.CONNECTION_LOST:
      return new UfsError('UNAVAILABLE', `${describeContext(context)} connection lost`, {
        context,
        cause: err,
        retryable: true,
      });
  }
  if (connectionLost || /no response from server|no sftp connection|not connected/i.test(message)) {
    return new UfsError('UNAVAILABLE', `${describeContext(context)} the SSH connection was lost (${message})`, {
      context,
      cause: err,
      retryable: true,
    });
  }
  if (status === STATUS.FAILURE)
    return ufsError('UNEXPECTED', context, `the SFTP server reported a failure (${message})`, err);
  return toUfsError(err, context);
}

/** Maps a failed connection attempt: refused/unreachable → UNAVAILABLE, bad credentials or host key → PERMISSION_DENIED. */
export function connectError(
  err: unknown,
  raw: (Error & { level?: string }) | undefined,
  rejectedKey: string | undefined,
  context: ErrorContext,
  target: string,
): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  const prefix = describeContext(context);
  if (rejectedKey !== undefined) {
    return new UfsError(
      'PERMISSION_DENIED',
      `${prefix} host key verification failed: ${target} presented ${rejectedKey}, which is not an accepted ` +
        '"hostFingerprint"/"hostKey" (a changed server key or a man-in-the-middle); refusing to connect',
      { context, cause: err, retryable: false },
    );
  }
  const level = raw?.level ?? (err as { level?: string }).level;
  const message = raw?.message ?? (err instanceof Error ? err.message : String(err));
  if (level === 'client-authentication') {
    return new UfsError('PERMISSION_DENIED', `${prefix} authentication failed for ${target} (${message})`, {
      context,
      cause: err,
      retryable: false,
    });
  }
  if (level === 'client-timeout') {
    return new UfsError('TIMEOUT', `${prefix} no SSH handshake with ${target} in time (${message})`, {
      context,
      cause: err,
      retryable: true,
    });
  }
  const network = classifyNodeError(raw) ?? classifyNodeError(err);
  if (network) {
    return new UfsError(network.code, `${prefix} cannot connect to ${target}: ${network.what}`, {
      context,
      cause: err,
      retryable: network.retryable,
    });
  }
  if (/privateKey|passphrase|parse/i.test(message)) {
    return new UfsError('CONFIG_INVALID', `${prefix} unusable private key: ${message}`, { context, cause: err });
  }
  return new UfsError('UNAVAILABLE', `${prefix} cannot connect to ${target}: ${message}`, {
    context,
    cause: err,
    retryable: true,
  });
}
