import { UfsError } from '@org/core';
import { DEFAULT_BODY_IDLE_TIMEOUT_MS } from '@org/server';

/** UFS_BODY_IDLE_TIMEOUT_SECONDS, read as apps/api reads it (config.ts): whole seconds, in the server's range. */
export const BODY_IDLE_ENV = 'UFS_BODY_IDLE_TIMEOUT_SECONDS';
/** The server's bound on bodyIdleTimeoutMs (a day), in seconds. */
export const MAX_BODY_IDLE_SECONDS = 86_400;

/**
 * `ufs serve --body-idle-timeout` from the environment when not typed (default 90 s, the server's): a bad value is a
 * configuration error (78) naming it, as for UFS_SHUTDOWN_TIMEOUT_SECONDS.
 */
export function bodyIdleFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const text = env[BODY_IDLE_ENV]?.trim();
  if (text === undefined || text === '') return DEFAULT_BODY_IDLE_TIMEOUT_MS / 1000;
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (seconds >= 1 && seconds <= MAX_BODY_IDLE_SECONDS) return seconds;
  throw new UfsError(
    'CONFIG_INVALID',
    `[ufs] env ${BODY_IDLE_ENV} must be whole seconds from 1 to ${MAX_BODY_IDLE_SECONDS}, got ${JSON.stringify(text.slice(0, 40))} (or type --body-idle-timeout)`,
    { context: { operation: 'serve' } },
  );
}
