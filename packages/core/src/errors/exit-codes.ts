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

/**
 * EX_PROTOCOL, "remote error in protocol": a hosting service refused an upload (or the check of its URL) with an
 * answer that would otherwise read as the user's fault — a 4xx (INVALID_INPUT, 64, "bad flag") or a 404/410
 * (NOT_FOUND, 66, "input missing").
 */
export const REMOTE_REFUSAL_EXIT_CODE = 76;

/** What an error carries that says where it came from (a UfsError, or a provider's report in `failures`). */
interface ErrorFacts {
  code?: unknown;
  outcome?: unknown;
  provider?: unknown;
  status?: unknown;
  context?: { provider?: unknown; status?: unknown; failures?: unknown };
}

/** Whether this hosting service's failure was its HTTP answer (a provider and a status), not a check made here. */
function answeredByService(facts: ErrorFacts): boolean {
  const provider = facts.context?.provider ?? facts.provider;
  const status = facts.context?.status ?? facts.status;
  return typeof provider === 'string' && typeof status === 'number';
}

/**
 * Whether `error` is a hosting service's refusal: its own context names a provider and an HTTP status, or it is the
 * failure of an upload (`failures`: one report per provider) whose every failed provider was refused by its answer.
 * A storage backend's answer (`ufs cat s3:missing`, 404: the user's argument is missing) names no provider.
 */
export function isRemoteRefusal(error: ErrorFacts): boolean {
  if (answeredByService(error)) return true;
  const failures = error.context?.failures;
  if (!Array.isArray(failures)) return false;
  const failed = (failures as ErrorFacts[]).filter((report) => report?.outcome === 'failed');
  return failed.length > 0 && failed.every((report) => answeredByService(report));
}

/**
 * The exit status of an error: `EXIT_CODE_BY_CODE`, except that a hosting service's refusal (`isRemoteRefusal`) coded
 * INVALID_INPUT or NOT_FOUND exits with `REMOTE_REFUSAL_EXIT_CODE` (76): the service refused, the user's flags and
 * files are not at fault.
 */
export function exitCodeOf(error: { code: ErrorCode } & ErrorFacts): number {
  if ((error.code === 'INVALID_INPUT' || error.code === 'NOT_FOUND') && isRemoteRefusal(error))
    return REMOTE_REFUSAL_EXIT_CODE;
  return EXIT_CODE_BY_CODE[error.code];
}
