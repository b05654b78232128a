import type { ErrorCode } from './codes.js';
import { redactUrl } from './redact-url.js';
import { parseRetryAfter } from './retry-after.js';
import { UfsError, describeContext, isUfsError, type ErrorContext } from './ufs-error.js';

export { parseHttpDate, parseRetryAfter } from './retry-after.js';

/** Maps an HTTP status to an error code and whether retrying may help. Returns undefined for 1xx/2xx/3xx. */
export function classifyHttpStatus(status: number): { code: ErrorCode; retryable: boolean } | undefined {
  if (status < 400) return undefined;
  switch (status) {
    case 401:
    case 403:
      return { code: 'PERMISSION_DENIED', retryable: false };
    case 404:
    case 410:
      return { code: 'NOT_FOUND', retryable: false };
    case 409:
    case 412:
      return { code: 'ALREADY_EXISTS', retryable: false };
    case 413:
      return { code: 'TOO_LARGE', retryable: false };
    case 408:
    case 504:
      return { code: 'TIMEOUT', retryable: true };
    case 429:
      return { code: 'RATE_LIMITED', retryable: true };
    case 501:
      return { code: 'UNSUPPORTED', retryable: false };
  }
  if (status >= 500) return { code: 'UNAVAILABLE', retryable: true };
  return { code: 'INVALID_INPUT', retryable: false };
}

/** Builds a UfsError from an HTTP response status. */
export function httpError(
  status: number,
  detail: string,
  context: ErrorContext = {},
  retryAfter?: string | null,
): UfsError {
  const classified = classifyHttpStatus(status) ?? { code: 'UNEXPECTED' as const, retryable: false };
  const ctx = { ...context, status };
  return new UfsError(classified.code, `${describeContext(ctx)} HTTP ${status}${detail ? `: ${detail}` : ''}`, {
    retryable: classified.retryable,
    context: ctx,
    retryAfterMs: parseRetryAfter(retryAfter),
  });
}

const NETWORK_CODES: Record<string, { code: ErrorCode; retryable: boolean; what: string }> = {
  ECONNRESET: { code: 'UNAVAILABLE', retryable: true, what: 'connection reset by peer' },
  ECONNREFUSED: { code: 'UNAVAILABLE', retryable: true, what: 'connection refused' },
  ECONNABORTED: { code: 'UNAVAILABLE', retryable: true, what: 'connection aborted' },
  EPIPE: { code: 'UNAVAILABLE', retryable: true, what: 'broken pipe' },
  EHOSTUNREACH: { code: 'UNAVAILABLE', retryable: true, what: 'host unreachable' },
  ENETUNREACH: { code: 'UNAVAILABLE', retryable: true, what: 'network unreachable' },
  ENETDOWN: { code: 'UNAVAILABLE', retryable: true, what: 'network down' },
  ENOTFOUND: { code: 'UNAVAILABLE', retryable: true, what: 'host not found' },
  EAI_AGAIN: { code: 'UNAVAILABLE', retryable: true, what: 'DNS lookup timed out' },
  ETIMEDOUT: { code: 'TIMEOUT', retryable: true, what: 'timed out' },
  ESOCKETTIMEDOUT: { code: 'TIMEOUT', retryable: true, what: 'socket timed out' },
  UND_ERR_CONNECT_TIMEOUT: { code: 'TIMEOUT', retryable: true, what: 'connect timed out' },
  UND_ERR_HEADERS_TIMEOUT: { code: 'TIMEOUT', retryable: true, what: 'headers timed out' },
  UND_ERR_BODY_TIMEOUT: { code: 'TIMEOUT', retryable: true, what: 'body timed out' },
  UND_ERR_SOCKET: { code: 'UNAVAILABLE', retryable: true, what: 'socket error' },
  UND_ERR_CLOSED: { code: 'UNAVAILABLE', retryable: true, what: 'connection closed' },
  // fetch's "terminated": the server closed a connection whose answer had a Content-Length before all of it came.
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: {
    code: 'UNAVAILABLE',
    retryable: true,
    what: 'the server closed the connection before the whole body arrived',
  },
  ERR_STREAM_PREMATURE_CLOSE: { code: 'UNAVAILABLE', retryable: true, what: 'stream closed early' },
  ENOENT: { code: 'NOT_FOUND', retryable: false, what: 'no such file or directory' },
  EEXIST: { code: 'ALREADY_EXISTS', retryable: false, what: 'already exists' },
  ENOTEMPTY: { code: 'ALREADY_EXISTS', retryable: false, what: 'directory not empty' },
  EACCES: { code: 'PERMISSION_DENIED', retryable: false, what: 'permission denied' },
  EPERM: { code: 'PERMISSION_DENIED', retryable: false, what: 'operation not permitted' },
  EROFS: { code: 'PERMISSION_DENIED', retryable: false, what: 'read-only file system' },
  EISDIR: { code: 'INVALID_INPUT', retryable: false, what: 'is a directory' },
  ENOTDIR: { code: 'INVALID_INPUT', retryable: false, what: 'not a directory' },
  ENAMETOOLONG: { code: 'INVALID_INPUT', retryable: false, what: 'name too long' },
  ELOOP: { code: 'INVALID_INPUT', retryable: false, what: 'too many symbolic links' },
  ENOSPC: { code: 'UNAVAILABLE', retryable: false, what: 'no space left on device' },
  EDQUOT: { code: 'UNAVAILABLE', retryable: false, what: 'disk quota exceeded' },
  EMFILE: { code: 'UNAVAILABLE', retryable: true, what: 'too many open files' },
  EBUSY: { code: 'UNAVAILABLE', retryable: true, what: 'resource busy' },
};

function errnoCode(err: unknown): string | undefined {
  let current: unknown = err;
  // Walk the cause chain: fetch() wraps undici socket errors in a TypeError("fetch failed").
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Where a network error could not get to, as Node and undici tell it on the socket error (at any depth of the cause
 * chain, or among the attempts of an `AggregateError` when both address families were tried): the `address:port`
 * of a connection that was refused, reset or timed out, else the `hostname` whose lookup failed (`ENOTFOUND` has no
 * port). IPv6 addresses in brackets. Undefined when the error does not say (a file error, a wrapped message).
 */
function networkPeer(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (current: unknown, depth: number): string | undefined => {
    if (!current || typeof current !== 'object' || depth > 5 || seen.has(current)) return undefined;
    seen.add(current);
    const { address, hostname, port, errors, cause } = current as Record<string, unknown>;
    const host = typeof address === 'string' && address !== '' ? address : hostname;
    if (typeof host === 'string' && host !== '') {
      // A host is no secret, but what a library put there must not show credentials: a URL's are redacted, and
      // any `user:password@` is left out.
      const bare = redactUrl(host)
        .replace(/^[^/]*@/, '')
        .replace(/[\s"]/g, '');
      const shown = bare.includes(':') && !bare.startsWith('[') && !bare.includes('/') ? `[${bare}]` : bare;
      return typeof port === 'number' && Number.isInteger(port) && port > 0 ? `${shown}:${port}` : shown;
    }
    if (Array.isArray(errors))
      for (const attempt of errors) {
        const found = visit(attempt, depth + 1);
        if (found) return found;
      }
    return visit(cause, depth + 1);
  };
  return visit(err, 0);
}

/** The error of the cause chain that carries `code`. */
function withCode(err: unknown, code: string): Record<string, unknown> | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if ((current as { code?: unknown }).code === code) return current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Words of a socket error that mean the other side ended the connection cleanly (a FIN), not a reset. */
const CLOSED_BY_PEER = /^(other side closed|premature close)$/i;

/**
 * How many bytes of a body arrived and how many were announced, where an error of the chain says so (numeric
 * `received` and `expected`, as a reader that counts them sets): `connection closed after 50 of 100 bytes`.
 */
function cutShort(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { received, expected } = current as { received?: unknown; expected?: unknown };
    if (
      typeof received === 'number' &&
      typeof expected === 'number' &&
      Number.isSafeInteger(received) &&
      Number.isSafeInteger(expected) &&
      received >= 0 &&
      received < expected
    ) {
      return `connection closed after ${received} of ${expected} bytes`;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a Node system/network error (ECONNRESET, ETIMEDOUT, ENOENT, undici codes, …) to a code, if it is one. */
export function classifyNodeError(err: unknown): { code: ErrorCode; retryable: boolean; what: string } | undefined {
  const code = errnoCode(err);
  if (!code) return undefined;
  const known = NETWORK_CODES[code]!;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_SOCKET') {
    // A body cut short says how much of it came, where that is known.
    const counted = cutShort(err);
    if (counted) return { ...known, what: counted };
  }
  if (code === 'UND_ERR_SOCKET') {
    // undici's SocketError for a connection the server closed cleanly (FIN) is no "socket error": say what happened.
    const message = withCode(err, code)?.message;
    if (typeof message === 'string' && CLOSED_BY_PEER.test(message.trim())) {
      return { ...known, what: 'the server closed the connection' };
    }
  }
  return known;
}

/**
 * Certificate checks a TLS connection failed (Node's and OpenSSL's codes). The server cannot be used safely:
 * UNAVAILABLE, but not retryable, as none is transient (the same call fails the same way until the server's
 * certificate or the trust settings change). Not CONFIG_INVALID: the fault is often the server's (an expired
 * certificate), not the mount's settings, and it stays apart from an `https://` address whose server has no TLS.
 */
const TLS_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** Codes of a certificate whose issuer is not known: the one case that trusting a CA fixes. */
const UNTRUSTED_ISSUER: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The error of the cause chain that carries a certificate code (fetch wraps it in a TypeError("fetch failed")). */
function tlsCertificateFailure(err: unknown): { code: string; what: string } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && TLS_CERTIFICATE_CODES.has(code)) {
      const what = typeof message === 'string' && message.trim() !== '' ? message.trim() : 'certificate refused';
      return { code, what: what.replace(/\s+/g, ' ').slice(0, 300) };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A TLS certificate failure (self-signed, expired, unknown issuer, wrong host name, …) anywhere in the cause chain,
 * as UNAVAILABLE, not retryable, naming it and the server:
 * `TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) from 127.0.0.1:8443`. `server` is the `host:port`
 * the caller connected to, for errors that do not carry it (fetch's do not); else the chain's own address is used.
 * Undefined when the error is not one.
 */
export function tlsCertificateError(err: unknown, context: ErrorContext = {}, server?: string): UfsError | undefined {
  const failure = tlsCertificateFailure(err);
  if (!failure) return undefined;
  const peer = server ?? networkPeer(err);
  return new UfsError(
    'UNAVAILABLE',
    `${describeContext(context)} TLS: ${failure.what} (${failure.code})${peer ? ` from ${peer}` : ''}` +
      (UNTRUSTED_ISSUER.has(failure.code) ? `: a private CA can be trusted with NODE_EXTRA_CA_CERTS` : ''),
    { context, cause: err, retryable: false },
  );
}

/**
 * Codes of a connection that failed with no timer involved. The AWS SDK's Node handler renames such errors
 * `TimeoutError` (so that its retry strategy retries them): they are named by their code, not as a timeout.
 */
const NOT_A_TIMEOUT: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED']);

function isAbortLike(err: unknown): 'ABORTED' | 'TIMEOUT' | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { name, code } = err as { name?: unknown; code?: unknown };
  if (name === 'TimeoutError') return typeof code === 'string' && NOT_A_TIMEOUT.has(code) ? undefined : 'TIMEOUT';
  if (name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR') return 'ABORTED';
  return undefined;
}

/**
 * Turns anything thrown into a UfsError with context. UfsErrors pass through (gaining context);
 * Node and network errors are classified (TLS certificate failures: `tlsCertificateError`); aborts become
 * ABORTED/TIMEOUT; the rest are UNEXPECTED.
 */
export function toUfsError(err: unknown, context: ErrorContext = {}): UfsError {
  if (isUfsError(err)) return err.withContext(context);
  const prefix = describeContext(context);
  const abort = isAbortLike(err);
  if (abort) {
    return new UfsError(abort, `${prefix} ${abort === 'TIMEOUT' ? 'timed out' : 'aborted'}`, {
      context,
      cause: err,
      retryable: abort === 'TIMEOUT',
    });
  }
  const tls = tlsCertificateError(err, context);
  if (tls) return tls;
  const node = classifyNodeError(err);
  const message = err instanceof Error ? err.message : String(err);
  if (node) {
    // A network failure names the host (and port) it could not reach: `host not found: files.example (ENOTFOUND)`.
    const peer = networkPeer(err);
    return new UfsError(node.code, `${prefix} ${node.what}${peer ? `: ${peer}` : ''} (${errnoCode(err)})`, {
      context,
      cause: err,
      retryable: node.retryable,
    });
  }
  return new UfsError('UNEXPECTED', `${prefix} ${message}`, { context, cause: err });
}
