import { UfsError } from '@org/core';

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `30m`, `1h`, `72h`, `7d`, `2w` → milliseconds; anything else is INVALID_INPUT naming the accepted forms. */
export function parseDuration(value: string, provider?: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$/i.exec(value);
  const amount = match ? Number(match[1]) : NaN;
  const unit = match?.[2]?.toLowerCase();
  if (!unit || !(amount > 0)) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs]${provider ? ` [${provider}]` : ''} expire ${JSON.stringify(value)} is not a duration like 30m, 1h, 72h, 7d or 2w`,
      { context: { provider, operation: 'upload' } },
    );
  }
  return Math.round(amount * UNIT_MS[unit]!);
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
