import { UfsError, type ErrorContext, describeContext, formatSeconds } from '@org/core';

/** The signals of one request: the caller's, an optional timeout, and the one to hand to the transport. */
export interface RequestSignals {
  signal: AbortSignal | undefined;
  caller: AbortSignal | undefined;
  timeout: AbortSignal | undefined;
  timeoutMs: number | undefined;
}

export function requestSignals(caller: AbortSignal | undefined, timeoutMs: number | undefined): RequestSignals {
  const timeout = timeoutMs !== undefined && timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  const parts = [caller, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = parts.length > 1 ? AbortSignal.any(parts) : parts[0];
  return { signal, caller, timeout, timeoutMs };
}

/**
 * The error for a request that ended because one of its signals fired: ABORTED (not retryable) when the caller
 * aborted, TIMEOUT (retryable) when the timeout did. Undefined when neither fired.
 */
export function signalError(signals: RequestSignals, context: ErrorContext, cause?: unknown): UfsError | undefined {
  if (signals.caller?.aborted) {
    return new UfsError('ABORTED', `${describeContext(context)} aborted`, {
      context,
      cause: cause ?? signals.caller.reason,
      retryable: false,
    });
  }
  if (signals.timeout?.aborted) {
    return new UfsError(
      'TIMEOUT',
      `${describeContext(context)} no complete answer within ${formatSeconds(signals.timeoutMs!)}`,
      {
        context,
        cause,
        retryable: true,
      },
    );
  }
  return undefined;
}

/** Throws ABORTED at once when the caller's signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, context: ErrorContext): void {
  if (signal?.aborted) {
    throw new UfsError('ABORTED', `${describeContext(context)} aborted`, {
      context,
      cause: signal.reason,
      retryable: false,
    });
  }
}
