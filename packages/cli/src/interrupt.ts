import { constants } from 'node:os';
import { allowManyListeners } from '@org/core';

/** The signals that stop a long-running command cleanly: Ctrl-C, `kill` / `timeout`, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

let received: StopSignal | undefined;

/** The conventional exit status of a process stopped by `signal`: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** The signal that stopped the command, if one did (the exit status is then `signalStatus` of it). */
export function interruptedBy(): StopSignal | undefined {
  return received;
}

/**
 * Stopping long-running commands: the first SIGINT, SIGTERM or SIGHUP aborts the returned signal, so the command
 * stops starting new work, keeps what it has (hash cache, tus upload URLs, the URLs of finished uploads), cleans up
 * (temporary files) and exits 128 + the signal's number (130, 143, 129) with one line; a second one exits at once
 * with that status, after `onForcedExit` (synchronous cleanup that must happen even then). The listeners stay
 * installed until `dispose()`: a `once` listener would be gone by the time a library that re-raises the signal when
 * it sees no other listener (signal-exit, loaded by tus-js-client's proper-lockfile; it listens to SIGTERM and
 * SIGHUP as well) looks, and that library would then kill the process mid-cleanup.
 */
export function onInterrupt(
  reason: (signal: StopSignal) => unknown = () => undefined,
  onForcedExit: () => void = () => undefined,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Every request, wait and stream of the command listens to this one signal (e.g. `upload -c 12`: a dozen uploads,
  // each with its requests): many listeners are expected here, not a leak.
  allowManyListeners(controller.signal);
  const listener = (signal: StopSignal) => {
    if (controller.signal.aborted) {
      try {
        onForcedExit();
      } finally {
        process.exit(signalStatus(received ?? signal));
      }
    }
    received ??= signal;
    controller.abort(reason(signal));
  };
  for (const name of STOP_SIGNALS) process.on(name, listener);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, listener);
    },
  };
}
