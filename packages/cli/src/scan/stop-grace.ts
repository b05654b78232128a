import { allowManyListeners } from '@org/core';

/**
 * How long a request under way when the scan stops (Ctrl-C) may still take to answer: a batch of records the server
 * may be storing, an upload whose body is sent. Give the scan's DedupClient `stopGraceSignal(stop)` as its signal.
 */
export const STOP_GRACE_MS = 1500;

/** A signal that aborts STOP_GRACE_MS (`ms`) after `stop` does, with its reason. */
export function stopGraceSignal(stop: AbortSignal, ms = STOP_GRACE_MS): AbortSignal {
  const grace = new AbortController();
  // Every request of the scan listens to it, as to `stop`.
  allowManyListeners(grace.signal);
  const later = () => setTimeout(() => grace.abort(stop.reason), ms).unref();
  if (stop.aborted) later();
  else stop.addEventListener('abort', later, { once: true });
  return grace.signal;
}
