import { setMaxListeners } from 'node:events';

/** Listeners expected on a signal shared by a whole command or batch: far more than `-c 64` transfers ever add. */
export const MANY_LISTENERS = 100_000;

/**
 * Marks `signal` as one that many listeners wait on (every request, wait and stream of a batch), so Node prints no
 * MaxListenersExceededWarning for it. A finite limit, not 0 ("unlimited"): Node 20's `getMaxListeners` throws for an
 * AbortSignal whose limit is 0, and undici's `new Request` asks it (every Dropbox upload failed that way).
 */
export function allowManyListeners<S extends AbortSignal>(signal: S): S {
  setMaxListeners(MANY_LISTENERS, signal);
  return signal;
}
