import type { Server } from 'node:http';
import { constants } from 'node:os';
import { Logger } from '@nestjs/common';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { UfsError } from '@org/core';

/** Default time requests under way get to finish once the app closes: under Kubernetes' 30 s grace period. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;
/** The longest drain a server may be given: an hour. */
export const MAX_SHUTDOWN_TIMEOUT_MS = 3_600_000;
/** How often connections that became idle during a drain are closed. */
const SWEEP_MS = 50;
/**
 * How long a drain waits at most, once the connections are closed, for handlers still under way to settle (a tus PATCH
 * whose client was cut off records the offset of the bytes it stored) before the modules' shutdown hooks close the
 * store. Part of the shutdown timeout, not added to it: see settleReserve.
 */
export const SETTLE_MS = 5_000;

/**
 * The end of the shutdown timeout kept for handlers to settle once their connections are closed: its last fifth, at
 * least 1 s (half of a timeout under 2 s, 0 with 0) and at most SETTLE_MS (5 s, from a 25 s timeout). Requests under
 * way get the rest of it; the whole drain ends within the timeout, except with 0: requests get no time, their
 * handlers still get up to SETTLE_MS to settle.
 */
export function settleReserve(timeoutMs: number): number {
  return Math.floor(Math.min(SETTLE_MS, Math.max(timeoutMs / 5, Math.min(1000, timeoutMs / 2))));
}

/**
 * How long the modules' shutdown hooks wait for the store on behalf of handlers the drain left under way (releasing
 * the tus recording leases they hold): the share of the timeout kept for handlers to settle (settleReserve), SETTLE_MS
 * with 0 (as the settle itself). A store that has not answered by then is not waited for.
 */
export function leftoverBudget(timeoutMs: number): number {
  return timeoutMs === 0 ? SETTLE_MS : settleReserve(timeoutMs);
}
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface ShutdownOptions {
  /**
   * How long `app.close()` may take to drain, in ms: requests under way (a slow upload, a download) may finish until
   * its last fifth (at least 1 s, or half of a timeout under 2 s; at most 5 s: see settleReserve), then their
   * connections are closed and their handlers get what is left to settle; 0 closes them at once (their handlers still
   * get up to 5 s to settle: a tus PATCH records the bytes it stored). Default 25 000.
   */
  shutdownTimeoutMs?: number;
  /**
   * SIGTERM and SIGINT close the app (a drain, see `shutdownTimeoutMs`); a second one ends the process at once (exit
   * status 128 + the signal's number). When nothing else listens for the signal, it is raised again once the app is
   * closed (as Nest's shutdown hooks do). Default true.
   */
  shutdownSignals?: boolean;
}

/** The timeout of `options`, checked: CONFIG_INVALID naming the option. */
export function shutdownTimeout(options: ShutdownOptions): number {
  const value = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SHUTDOWN_TIMEOUT_MS)
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] shutdownTimeoutMs must be a whole number of milliseconds from 0 to ${MAX_SHUTDOWN_TIMEOUT_MS} (got ${String(value)})`,
    );
  return value;
}

/**
 * Makes `app.close()` begin with a drain: the server stops accepting connections, closes idle keep-alive connections
 * (and each one that becomes idle; a response sent meanwhile says `Connection: close`), a request that arrives on an
 * open connection gets 503, and requests under way have `timeoutMs` less settleReserve to finish before the
 * connections left are closed; then handlers still under way (a tus PATCH recording the bytes it stored) get the rest
 * of `timeoutMs` (at most SETTLE_MS; SETTLE_MS when `timeoutMs` is 0) to settle, so the drain ends within `timeoutMs`
 * (SETTLE_MS with 0). Only then
 * do the modules' shutdown hooks run (their resources are still there for the requests). The drain is the adapter's
 * `beforeClose`, which Nest's close awaits first (Nest runs one close at a time: concurrent calls share it). Call
 * before `app.init()` (it adds Fastify hooks; `onRoute` must see the routes as Nest registers them).
 */
export function useGracefulShutdown(
  app: NestFastifyApplication,
  adapter: FastifyAdapter,
  options: ShutdownOptions,
): void {
  const timeoutMs = shutdownTimeout(options);
  const log = new Logger('ufs.shutdown');
  let draining = false;
  const instance = adapter.getInstance();
  instance.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  // Every route handler's work (Nest's guards, the handler, its exception filter), tracked until it settles: a
  // handler may still be storing what arrived after its connection was closed.
  const handlers = new Set<Promise<unknown>>();
  instance.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: unknown, ...args: Parameters<typeof handler>) {
      const result: unknown = handler.apply(this as never, args);
      if (result instanceof Promise) {
        const settled = result.then(
          () => undefined,
          () => undefined,
        );
        handlers.add(settled);
        void settled.then(() => handlers.delete(settled));
      }
      return result as ReturnType<typeof handler>;
    } as typeof handler;
  });
  /**
   * Waits (at most SETTLE_MS, and never past `end`; with a 0 timeout, SETTLE_MS) for the handlers under way to settle.
   */
  const settle = async (end: number): Promise<void> => {
    if (handlers.size === 0) return;
    // A 0 timeout gives requests no time, not their handlers: a tus PATCH cut at once still records what it stored.
    const waitMs = timeoutMs === 0 ? SETTLE_MS : Math.max(0, Math.min(SETTLE_MS, end - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
    });
    const outcome = await Promise.race([Promise.all([...handlers]), bounded]);
    clearTimeout(timer);
    if (outcome === 'late')
      log.warn(
        `${handlers.size} request handler(s) still under way ${waitMs} ms after their connections closed ` +
          `(the drain ends within its ${timeoutMs} ms, or ${SETTLE_MS} ms with 0): closing the app without ` +
          `waiting for them (the tus recording leases they hold are released)`,
      );
  };

  const drain = async (): Promise<void> => {
    const server = adapter.getHttpServer() as Server;
    if (!server.listening) return;
    draining = true;
    const end = Date.now() + timeoutMs;
    const requestsMs = timeoutMs - settleReserve(timeoutMs);
    await new Promise<void>((resolve) => {
      const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
      const deadline = setTimeout(() => {
        log.warn(
          `requests still under way after ${requestsMs} ms: closing their connections ` +
            (timeoutMs === 0
              ? `(shutdown timeout 0: their handlers get up to ${SETTLE_MS} ms to settle)`
              : `(the last ${timeoutMs - requestsMs} ms of the ${timeoutMs} ms shutdown timeout are for their handlers to settle)`),
        );
        server.closeAllConnections();
      }, requestsMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
    // The connections are closed, not necessarily the work of their handlers: the store is still needed for it.
    await settle(end);
  };
  // Nest's own beforeClose: requests that arrive from now on get 503 (Connection: close).
  const beforeClose = adapter.beforeClose.bind(adapter);
  adapter.beforeClose = async () => {
    beforeClose();
    await drain();
  };

  if (options.shutdownSignals === false) return;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      process.stderr.write(`[ufs] ${signal} again: stopping at once, without waiting for requests under way\n`);
      process.exit(128 + constants.signals[signal]);
    }
    received = signal;
    const others = process.listenerCount(signal) > 1;
    app.close().then(
      () => {
        if (!others && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      },
      (err: unknown) => {
        log.error(`stopping on ${signal} failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // Once the app is closed (by a signal or by a call), its listeners go.
  adapter.getInstance().addHook('onClose', (_instance, done) => {
    for (const signal of SIGNALS) process.removeListener(signal, onSignal);
    done();
  });
}
