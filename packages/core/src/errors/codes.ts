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
