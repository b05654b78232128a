import { describeContext, httpError, isUfsError, toUfsError, UfsError, type ErrorContext } from '@org/core';
import { plainHttpAnswerError, type ConfiguredAddress } from '../../errors.js';
import { socketTimeoutError } from '../../util/socket-timeouts.js';

interface RestErrorLike {
  name?: string;
  code?: unknown;
  statusCode?: number;
  details?: { errorCode?: string } | unknown;
  response?: { headers?: { get(name: string): string | undefined } };
  message?: string;
}

/** Azure's error code (`BlobNotFound`, `ContainerNotFound`, …): from the body, or the header when a HEAD has none. */
export function azureErrorCode(err: unknown): string | undefined {
  const e = err as RestErrorLike | null;
  if (!e || typeof e !== 'object') return undefined;
  const details = e.details as { errorCode?: unknown } | undefined;
  if (details && typeof details.errorCode === 'string') return details.errorCode;
  const header = e.response?.headers?.get('x-ms-error-code');
  if (header) return header;
  return typeof e.code === 'string' && /^[A-Z][A-Za-z]+$/.test(e.code) ? e.code : undefined;
}

export function azureStatus(err: unknown): number | undefined {
  const status = (err as RestErrorLike | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps an @azure/storage-blob error to a UfsError with the context of the operation. `signal` is the caller's: the
 * SDK also raises an AbortError when the connection is lost mid-download (its RetriableReadableStream gives up), and
 * only an abort of that signal is ABORTED; any other AbortError is UNAVAILABLE (retryable). `address`: the configured
 * blob service address; when it is `https://` and its server does not speak TLS, CONFIG_INVALID saying so.
 */
export function mapAzureError(
  err: unknown,
  context: ErrorContext,
  container: string,
  signal?: AbortSignal,
  address?: ConfiguredAddress,
): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  const plain = plainHttpAnswerError(err, address, context);
  if (plain) return plain;
  const status = azureStatus(err);
  const code = azureErrorCode(err);
  const prefix = describeContext(context);
  const ctx = { ...context, status, azureCode: code };
  const options = { context: ctx, cause: err };
  switch (code) {
    case 'ContainerNotFound':
      return new UfsError('NOT_FOUND', `${prefix} container "${container}" does not exist`, options);
    case 'BlobNotFound':
      return new UfsError('NOT_FOUND', `${prefix} no such file`, options);
    case 'BlobAlreadyExists':
    case 'ConditionNotMet':
      return new UfsError('ALREADY_EXISTS', `${prefix} the file already exists`, options);
    case 'AuthenticationFailed':
    case 'AuthorizationFailure':
    case 'AuthorizationPermissionMismatch':
    case 'AuthorizationResourceTypeMismatch':
    case 'InsufficientAccountPermissions':
      return new UfsError(
        'PERMISSION_DENIED',
        `${prefix} access denied by Azure (${code}): check the account key, SAS token or role`,
        options,
      );
    case 'InvalidMetadata':
    case 'InvalidResourceName':
    case 'InvalidHeaderValue':
      return new UfsError('INVALID_INPUT', `${prefix} Azure refused the request (${code})`, options);
  }
  if (status !== undefined && status >= 400) {
    const detail = code ?? ((err as RestErrorLike).message ?? '').split('\n')[0] ?? '';
    const mapped = httpError(status, detail, context, (err as RestErrorLike).response?.headers?.get('retry-after'));
    return new UfsError(mapped.code, mapped.message, {
      context: { ...mapped.context, azureCode: code },
      cause: err,
      retryable: mapped.retryable,
      retryAfterMs: mapped.retryAfterMs,
    });
  }
  const timeout = socketTimeoutError(err, context);
  if (timeout) return timeout;
  if ((err as RestErrorLike | null)?.name === 'AbortError' && !signal?.aborted) {
    return new UfsError('UNAVAILABLE', `${prefix} the connection was lost before the transfer ended`, {
      context,
      cause: err,
      retryable: true,
    });
  }
  return toUfsError(err, context);
}
