import { UfsError, readDuration } from '@org/core';

/** Upload expiries are minutes to weeks (no hosting service keeps a file for seconds). */
const UNITS = ['m', 'h', 'd', 'w'] as const;

/** `30m`, `1h`, `72h`, `7d`, `2w` → milliseconds; anything else is INVALID_INPUT naming the accepted forms. */
export function parseDuration(value: string, provider?: string): number {
  const reading = readDuration(value, { units: UNITS });
  if (!reading.ok) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs]${provider ? ` [${provider}]` : ''} expire ${JSON.stringify(value)} is not a duration like 30m, 1h, 72h, 7d or 2w`,
      { context: { provider, operation: 'upload' } },
    );
  }
  return reading.ms;
}

/** Picks the choice whose duration equals `expire` (so `1d` matches `24h`), else INVALID_INPUT listing them. */
export function matchChoice(provider: string, expire: string, choices: readonly string[]): string {
  const wanted = parseDuration(expire, provider);
  const hit = choices.find((choice) => parseDuration(choice) === wanted);
  if (hit === undefined) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] [${provider}] expire ${JSON.stringify(expire)} is not offered; choose one of ${choices.join(', ')}`,
      { context: { provider, operation: 'upload' }, retryable: false },
    );
  }
  return hit;
}
