/**
 * The stable error codes of ufs. Code is what callers branch on; messages are for people.
 * The server maps codes to HTTP statuses in one place, the CLI maps them to exit statuses in one place.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNSUPPORTED',
  'CONFIG_INVALID',
  'INVALID_INPUT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TOO_LARGE',
  'INTEGRITY',
  'ABORTED',
  'TIMEOUT',
  'UNEXPECTED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that are transient by nature: the same call may succeed later. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT']);

export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE_BY_DEFAULT.has(code);
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * The HTTP status of each code when ufs answers over HTTP (the dedup server, a served node). Who answers decides the
 * two codes that depend on the role: stored content failing its own check (INTEGRITY) and a request the client
 * gave up on (ABORTED) — spread this table and override those.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  UNSUPPORTED: 501,
  CONFIG_INVALID: 500,
  INVALID_INPUT: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  TOO_LARGE: 413,
  INTEGRITY: 502,
  ABORTED: 500,
  TIMEOUT: 504,
  UNEXPECTED: 500,
});
