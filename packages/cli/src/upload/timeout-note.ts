import { UfsError } from '@org/core';

/**
 * The providers' TIMEOUT of a request that `--timeout` (the library's `timeoutMs`) abandoned: `no complete answer
 * within 1 s`, each time it appears in a message (a provider's own, or the "the provider failed" line listing it).
 */
const TIMED_OUT = /no complete answer within \d+(?:\.\d+)? m?s(?! \(wait longer)/;

/**
 * An error of `ufs upload` whose message tells of a request `--timeout` abandoned, with the flag named, as the idle
 * timeout's message names its own (`… (idle timeout)`): `no complete answer within 1 s (wait longer with --timeout
 * SECONDS)`. Other errors are returned as they are. (The library cannot name the flag: it knows only `timeoutMs`.)
 */
export function namingTimeoutFlag(error: UfsError): UfsError {
  if (!TIMED_OUT.test(error.message)) return error;
  const message = error.message.replace(new RegExp(TIMED_OUT.source, 'g'), '$& (wait longer with --timeout SECONDS)');
  return new UfsError(error.code, message, {
    context: error.context,
    cause: error.cause,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
  });
}
