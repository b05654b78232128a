import type { ErrorCode } from './codes.js';

/**
 * The one mapping from error codes to process exit statuses (sysexits-inspired; 1 is "something failed"): the `ufs`
 * command and the deployable API exit with these.
 */
export const EXIT_CODE_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INVALID_INPUT: 64, // EX_USAGE
  CONFIG_INVALID: 78, // EX_CONFIG
  NOT_FOUND: 66, // EX_NOINPUT
  ALREADY_EXISTS: 73, // EX_CANTCREAT
  PERMISSION_DENIED: 77, // EX_NOPERM
  UNSUPPORTED: 69, // EX_UNAVAILABLE
  UNAVAILABLE: 69,
  RATE_LIMITED: 75, // EX_TEMPFAIL
  TIMEOUT: 75,
  TOO_LARGE: 65, // EX_DATAERR
  INTEGRITY: 65,
  ABORTED: 130, // like SIGINT
  UNEXPECTED: 70, // EX_SOFTWARE
});
