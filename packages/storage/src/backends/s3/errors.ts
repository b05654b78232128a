import {
  classifyHttpStatus,
  describeContext,
  parseRetryAfter,
  toUfsError,
  UfsError,
  type ErrorCode,
  type ErrorContext,
} from '@org/core';
import { keyContext, plainHttpAnswerError } from '../../errors.js';
import { configuredEndpoint, type S3Connection } from './client.js';

export interface S3ErrorContext {
  operation: string;
  /** The backend key the operation was about. */
  path?: string;
  bucket: string;
  /** The mount's name (default `s3`): errors name the key as `mount:key`, as every backend's do. */
  mount?: string;
}

/** `{ backend: 's3', mount, operation, path: 'mount:key', bucket }`: the context of an s3 error. */
export function s3ErrorContext(ctx: S3ErrorContext): ErrorContext {
  const mount = ctx.mount ?? 's3';
  const where =
    ctx.path === undefined
      ? { backend: 's3', mount, operation: ctx.operation }
      : keyContext({ mount, protocol: 's3' }, ctx.operation, ctx.path);
  return { ...where, bucket: ctx.bucket };
}

interface ServiceErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

/** What S3 error codes mean, where the HTTP status alone says too little. */
const BY_NAME: Record<string, { code: ErrorCode; retryable: boolean; what?: string }> = {
  NoSuchKey: { code: 'NOT_FOUND', retryable: false, what: 'no such object' },
  NotFound: { code: 'NOT_FOUND', retryable: false, what: 'no such object' },
  NoSuchVersion: { code: 'NOT_FOUND', retryable: false, what: 'no such version' },
  NoSuchUpload: { code: 'NOT_FOUND', retryable: false, what: 'no such multipart upload' },
  AccessDenied: { code: 'PERMISSION_DENIED', retryable: false, what: 'access denied' },
  Forbidden: { code: 'PERMISSION_DENIED', retryable: false, what: 'access denied' },
  AllAccessDisabled: { code: 'PERMISSION_DENIED', retryable: false, what: 'all access to this bucket is disabled' },
  InvalidAccessKeyId: {
    code: 'PERMISSION_DENIED',
    retryable: false,
    what: 'the access key id is not known to this endpoint (check accessKeyId)',
  },
  SignatureDoesNotMatch: {
    code: 'PERMISSION_DENIED',
    retryable: false,
    what: 'the request signature does not match (check secretAccessKey and region)',
  },
  ExpiredToken: { code: 'PERMISSION_DENIED', retryable: false, what: 'the session token has expired' },
  InvalidToken: { code: 'PERMISSION_DENIED', retryable: false, what: 'the session token is invalid' },
  RequestTimeTooSkewed: {
    code: 'PERMISSION_DENIED',
    retryable: false,
    what: "this machine's clock differs too much from the server's",
  },
  PreconditionFailed: { code: 'ALREADY_EXISTS', retryable: false, what: 'the object already exists' },
  ConditionalRequestConflict: {
    code: 'ALREADY_EXISTS',
    retryable: false,
    what: 'a concurrent conditional write to the same key won',
  },
  SlowDown: { code: 'RATE_LIMITED', retryable: true, what: 'the server asks to slow down' },
  TooManyRequests: { code: 'RATE_LIMITED', retryable: true, what: 'too many requests' },
  ServiceUnavailable: { code: 'UNAVAILABLE', retryable: true, what: 'service unavailable' },
  InternalError: { code: 'UNAVAILABLE', retryable: true, what: 'internal server error' },
  RequestTimeout: { code: 'TIMEOUT', retryable: true, what: 'the server timed out reading the request' },
  EntityTooLarge: { code: 'TOO_LARGE', retryable: false, what: 'the object is too large' },
  BadDigest: { code: 'INTEGRITY', retryable: false, what: 'the content does not match its checksum' },
  InvalidDigest: { code: 'INTEGRITY', retryable: false, what: 'the content does not match its checksum' },
  XAmzContentSHA256Mismatch: { code: 'INTEGRITY', retryable: false, what: 'the content does not match its SHA-256' },
  InvalidRange: { code: 'INVALID_INPUT', retryable: false, what: 'the byte range is outside the object' },
  MethodNotAllowed: { code: 'INVALID_INPUT', retryable: false, what: 'method not allowed (a delete marker?)' },
};

function isServiceError(err: unknown): err is ServiceErrorShape {
  return (
    typeof err === 'object' &&
    err !== null &&
    '$metadata' in err &&
    typeof (err as ServiceErrorShape).$metadata?.httpStatusCode === 'number'
  );
}

/**
 * Turns anything the S3 SDK throws into a UfsError with `{backend: 's3', mount, operation, path: 'mount:key'}`
 * context and a message saying what went wrong: NoSuchKey → NOT_FOUND, NoSuchBucket → NOT_FOUND naming the
 * bucket, AccessDenied / InvalidAccessKeyId / SignatureDoesNotMatch → PERMISSION_DENIED, PreconditionFailed →
 * ALREADY_EXISTS, SlowDown → RATE_LIMITED, 5xx → UNAVAILABLE (retryable); the HTTP handler's connect and idle
 * timeouts → TIMEOUT (retryable) naming the endpoint and the option (`connection`: the client this backend built);
 * an `https://` endpoint whose server does not speak TLS → CONFIG_INVALID (`try endpoint: http://…`, not retried);
 * other network errors and aborts through `toUfsError`.
 */
export function s3Error(err: unknown, ctx: S3ErrorContext, connection?: S3Connection): UfsError {
  const context = s3ErrorContext(ctx);
  if (err instanceof UfsError) return err.withContext(context);
  if (!isServiceError(err)) {
    return (
      plainHttpAnswerError(err, configuredEndpoint(connection), context) ??
      timeoutError(err, context, connection) ??
      networkError(withNetworkCode(notTimeout(err)), context, connection)
    );
  }
  const status = err.$metadata!.httpStatusCode!;
  const name = err.Code ?? err.name ?? 'UnknownError';
  const prefix = describeContext(context);
  const withStatus = { ...context, status, s3Code: name, requestId: err.$metadata?.requestId };
  if (name === 'NoSuchBucket') {
    return new UfsError('NOT_FOUND', `${prefix} bucket "${ctx.bucket}" does not exist`, {
      context: withStatus,
      cause: err,
      retryable: false,
    });
  }
  const known = BY_NAME[name];
  const classified = known ?? classifyHttpStatus(status) ?? { code: 'UNEXPECTED' as const, retryable: false };
  const detail = err.message && err.message !== 'UnknownError' && err.message !== name ? `: ${err.message}` : '';
  const what = known?.what ?? `${name}${detail}`;
  return new UfsError(classified.code, `${prefix} ${what} (HTTP ${status} ${name})`, {
    context: withStatus,
    cause: err,
    retryable: classified.retryable,
    retryAfterMs: parseRetryAfter(err.$response?.headers?.['retry-after']),
  });
}

/** What @smithy/node-http-handler says when its `connectionTimeout` or `socketTimeout` fires. */
const HANDLER_TIMEOUTS = [
  {
    kind: 'connect',
    pattern: /did not establish a connection with the server within the configured timeout of (\d+) ms/,
  },
  { kind: 'idle', pattern: /timed out after (\d+) ms of inactivity/ },
] as const;

/**
 * The Node HTTP handler's own timeouts as TIMEOUT: `could not connect to <endpoint> within N ms (connectTimeoutMs)`
 * or `no answer from <endpoint> for N ms (timeoutMs)`; undefined for any other error. With a handed-in client the
 * endpoint is not known here and the client's own option is named.
 */
function timeoutError(err: unknown, context: ErrorContext, connection?: S3Connection): UfsError | undefined {
  if (typeof err !== 'object' || err === null || (err as { name?: unknown }).name !== 'TimeoutError') return undefined;
  const message = (err as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  for (const { kind, pattern } of HANDLER_TIMEOUTS) {
    const match = pattern.exec(message);
    if (!match) continue;
    const server = connection?.endpoint ?? 'the server';
    const connect = kind === 'connect';
    const ours = connect ? 'connectTimeoutMs' : 'timeoutMs';
    const option = connection ? ours : `the client's ${connect ? 'connectionTimeout' : 'socketTimeout'}`;
    const detail = connect
      ? `could not connect to ${server} within ${match[1]} ms (${option})`
      : `no answer from ${server} for ${match[1]} ms (${option})`;
    return new UfsError('TIMEOUT', `${describeContext(context)} ${detail}`, {
      context: { ...context, timeout: ours },
      cause: err,
      retryable: true,
    });
  }
  return undefined;
}

/**
 * The handler renames every ECONNRESET, EPIPE and ETIMEDOUT error to `TimeoutError` (so the SDK retries it), which
 * would read as a timeout here: a reset connection ("socket hang up") is classified by its code instead.
 */
function notTimeout(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const { name, code, message } = err as { name?: unknown; code?: unknown; message?: unknown };
  if (name !== 'TimeoutError' || (code !== 'ECONNRESET' && code !== 'EPIPE')) return err;
  return Object.assign(new Error(typeof message === 'string' ? message : String(code), { cause: err }), { code });
}

/**
 * The SDK turns a thrown value that is not an Error of its own realm (jest's VM contexts, workers) into
 * "AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9 …", dropping `code`, `address` and `port`:
 * recover them from the text so the failure is still classified as a network error naming where it could not get
 * to, as it is when the error comes through unwrapped.
 */
function withNetworkCode(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code !== undefined || typeof message !== 'string' || !message.startsWith('AWS SDK error wrapper')) return err;
  const found = /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b(?: (\S+))?/.exec(message);
  if (!found) return err;
  return Object.assign(new Error(message, { cause: err }), { code: found[1] }, wherePeer(found[2]));
}

/**
 * Where a wrapped Node message says it could not get to: `connect ECONNREFUSED 127.0.0.1:9` (`::1:9` for IPv6: the
 * last `:` is the port's) → `{ address, port }`; `getaddrinfo ENOTFOUND host` → `{ hostname }`; else nothing.
 */
function wherePeer(text: string | undefined): Record<string, string | number> {
  if (text === undefined || !/^[\w.:[\]-]+$/.test(text)) return {};
  const withPort = /^(.+):(\d{1,5})$/.exec(text);
  if (withPort) return { address: withPort[1]!.replace(/^\[|\]$/g, ''), port: Number(withPort[2]) };
  return text.includes(':') ? {} : { hostname: text };
}

/** Codes of a failure to reach or keep the connection to the endpoint: their messages name it. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/**
 * The address of an endpoint as a network error names it: `host:port` (the scheme's port when the URL has none)
 * and, for a failed lookup (which has no port), the host name alone. Brackets around IPv6 addresses, as in errors.
 */
function endpointAddresses(endpoint: string): string[] {
  try {
    const url = new URL(endpoint);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return [`${url.hostname}:${port}`, url.hostname];
  } catch {
    return [];
  }
}

/**
 * Any other error through `toUfsError`; one of reaching the server (refused, reset, unknown host, …) says once where
 * it could not get to, as every backend's do: `connection refused: 127.0.0.1:9 (ECONNREFUSED)`. The endpoint of a
 * client this backend built is added only when the error names another address (a bucket's virtual host, an
 * address the name resolved to: `host not found: photos.s3.example (ENOTFOUND), endpoint http://s3.example`) or
 * none at all.
 */
function networkError(err: unknown, context: ErrorContext, connection?: S3Connection): UfsError {
  const error = toUfsError(err, context);
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (!connection || typeof code !== 'string' || !CONNECTION_CODES.has(code)) return error;
  if (endpointAddresses(connection.endpoint).some((address) => error.message.endsWith(`: ${address} (${code})`))) {
    return error;
  }
  return new UfsError(error.code, `${error.message}, endpoint ${connection.endpoint}`, {
    context: error.context,
    cause: err,
    retryable: error.retryable,
  });
}

/** True for a 404 of any kind except a missing bucket (which must surface as an error). */
export function isMissingObject(err: unknown): boolean {
  if (!isServiceError(err)) return false;
  const name = err.Code ?? err.name;
  return name !== 'NoSuchBucket' && (err.$metadata!.httpStatusCode === 404 || name === 'NoSuchKey');
}

/** True for a 403 answer (AccessDenied, or a missing key when the credentials may not list the bucket). */
export function isForbidden(err: unknown): boolean {
  return isServiceError(err) && err.$metadata!.httpStatusCode === 403;
}

export function abortedError(ctx: S3ErrorContext): UfsError {
  const context = s3ErrorContext(ctx);
  return new UfsError('ABORTED', `${describeContext(context)} aborted`, { context });
}
