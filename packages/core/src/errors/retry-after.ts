/**
 * `Retry-After` (RFC 9110 §10.2.3): `delay-seconds` (1*DIGIT) or an `HTTP-date` (§5.6.7): the IMF-fixdate
 * `Sun, 06 Nov 1994 08:49:37 GMT`, or one of the obsolete forms recipients must still accept, RFC 850
 * `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994` (all UTC). Leniently, a decimal number of
 * seconds (`1.5`) is read as delay-seconds too. Anything else (`-5`, `soon`, an ISO 8601 date) is not a Retry-After:
 * it is ignored, so that the caller's own backoff applies (a lenient date parser would read `-5` as a year in the
 * past, and retry at once).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const DAY_NAME = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:${DAY_NAME}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:${DAY}) (${MONTH}) ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** The time of an HTTP-date in ms since the epoch, or undefined when `text` is not one (or names no real time). */
export function parseHttpDate(text: string, now: number = Date.now()): number | undefined {
  let parts: { day: string; month: string; year: number; h: string; m: string; s: string } | undefined;
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, month, year, h, m, s] = match as unknown as string[];
    parts = { day: day!, month: month!, year: Number(year), h: h!, m: m!, s: s! };
  } else if ((match = RFC850_DATE.exec(text))) {
    const [, day, month, yy, h, m, s] = match as unknown as string[];
    // RFC 9110: a two-digit year more than 50 years in the future is the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(yy);
    if (year > thisYear + 50) year -= 100;
    parts = { day: day!, month: month!, year, h: h!, m: m!, s: s! };
  } else if ((match = ASCTIME_DATE.exec(text))) {
    const [, month, day, h, m, s, year] = match as unknown as string[];
    parts = { day: day!.trim(), month: month!, year: Number(year), h: h!, m: m!, s: s! };
  }
  if (!parts) return undefined;
  const month = MONTHS.indexOf(parts.month);
  const [day, h, m, s] = [parts.day, parts.h, parts.m, parts.s].map(Number) as [number, number, number, number];
  // 60 seconds: a leap second, as RFC 9110's time-of-day allows.
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const time = Date.UTC(parts.year, month, day, h, m, Math.min(s, 59));
  // 31 Feb and the like roll over into the next month: not a real date.
  if (new Date(time).getUTCDate() !== day) return undefined;
  return time;
}

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP-date) into milliseconds from `now`. Returns undefined when
 * absent or not of either form (the caller's backoff applies); never negative (a date in the past is 0).
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  // delay-seconds; a decimal fraction (`0.5`) is read too (lenient: it cannot be a date either way).
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    const ms = Math.round(Number(trimmed) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const date = parseHttpDate(trimmed, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}
