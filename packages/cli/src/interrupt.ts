import { setMaxListeners } from 'node:events';

/**
 * Ctrl-C for long-running commands: the first SIGINT aborts the returned signal, so the command stops starting new
 * work, keeps what it has (hash cache, tus upload URLs) and exits 130 with one line; a second SIGINT exits at once
 * with 130. The listener stays installed until `dispose()`: a `once` listener would be gone by the time a library
 * that re-raises the signal when it sees no other listener (signal-exit, loaded by tus-js-client's proper-lockfile)
 * looks, and that library would then kill the process mid-cleanup.
 */
export function onInterrupt(reason: () => unknown = () => undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Every request, wait and stream of the command listens to this one signal (e.g. `upload -c 12`: a dozen uploads,
  // each with its requests): many listeners are expected here, not a leak, so no MaxListenersExceededWarning.
  // A finite limit, not 0: Node 20's `getMaxListeners` throws for an AbortSignal whose limit is 0, and undici's
  // `new Request` asks it (every Dropbox upload failed).
  setMaxListeners(100_000, controller.signal);
  const listener = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(reason());
  };
  process.on('SIGINT', listener);
  return { signal: controller.signal, dispose: () => void process.off('SIGINT', listener) };
}
