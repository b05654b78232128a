/** Units a duration may be written in: milliseconds, seconds, minutes, hours, days, weeks. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
/** Longer spellings taken for a unit. */
const ALIASES: Record<string, DurationUnit> = { sec: 's', min: 'm' };

export interface DurationSyntax {
  /** Units accepted; default all of them. */
  units?: readonly DurationUnit[];
  /** The unit of a bare number (`90`); default none: a number needs a unit. */
  bare?: DurationUnit;
  /** Zero is a duration (a tolerance may be none); default false: zero is `not-positive`. */
  zero?: boolean;
}

/** A duration read from text: its milliseconds, or why it is not one. */
export type DurationReading = { ok: true; ms: number } | { ok: false; problem: 'syntax' | 'not-positive' };

/**
 * Reads `30m`, `1.5h`, `.5h`, `7d`, `2w` (and `500ms`, `90s`, `90sec`, `5min`; case and blanks around the parts
 * ignored) in the units `syntax` allows. Negative amounts, and zero unless `syntax.zero`, are `not-positive`; anything
 * else that is not a duration in those units is `syntax`. One reader for every option that takes a duration (upload
 * expiry, URL lifetime, modify window), so each accepts the same spellings; callers word their own errors (they know
 * the option's name).
 */
export function readDuration(value: string, syntax: DurationSyntax = {}): DurationReading {
  const match = /^\s*(-?)\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return { ok: false, problem: 'syntax' };
  const written = match[3]!.toLowerCase();
  const unit =
    written === '' ? syntax.bare : Object.hasOwn(ALIASES, written) ? ALIASES[written] : (written as DurationUnit);
  const allowed = syntax.units ?? (Object.keys(UNIT_MS) as DurationUnit[]);
  if (unit === undefined || !allowed.includes(unit)) return { ok: false, problem: 'syntax' };
  const amount = Number(match[2]);
  if (match[1] === '-' || !(amount > 0 || (amount === 0 && syntax.zero))) return { ok: false, problem: 'not-positive' };
  return { ok: true, ms: Math.round(amount * UNIT_MS[unit]) };
}
