import { UfsError } from '@org/core';

/**
 * One byte range from a `Range` header for a body of `size` bytes. Undefined: serve the whole body (no header,
 * another unit, or several ranges). RANGE past the end: INVALID_INPUT with the 416 reason.
 */
export function parseRange(header: unknown, size: number): { start: number; end: number } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  let start: number;
  let end: number;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= size || !Number.isSafeInteger(start)) throw unsatisfiable(header, size);
  return { start, end };
}

function unsatisfiable(header: string, size: number): UfsError {
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] Range ${JSON.stringify(header.slice(0, 80))} is outside the ${size} bytes`,
    {
      context: { reason: 'range-not-satisfiable', size },
    },
  );
}

/** The entity tags listed by an `If-Match`/`If-None-Match` header: `*`, or each quoted tag and whether it is weak. */
function listedTags(header: string): '*' | Array<{ weak: boolean; tag: string }> {
  if (header.split(',').some((t) => t.trim() === '*')) return '*';
  return [...header.matchAll(/(W\/)?("[^"]*")/g)].map((m) => ({ weak: m[1] !== undefined, tag: m[2]! }));
}

/** `If-None-Match`: weak comparison (RFC 9110 §13.1.2), `*` matches any current representation. */
export function etagMatches(header: unknown, etag: string): boolean {
  if (typeof header !== 'string') return false;
  const tags = listedTags(header);
  return tags === '*' || tags.some((t) => t.tag === etag);
}

/** `If-Match`: strong comparison (RFC 9110 §13.1.1), `*` matches any current representation. */
export function strongEtagMatches(header: string, etag: string): boolean {
  const tags = listedTags(header);
  return tags === '*' || tags.some((t) => !t.weak && t.tag === etag);
}

/**
 * `If-Range` (RFC 9110 §13.1.5): true when it names this strong entity tag. A weak tag never matches, and neither does
 * a date: these answers carry no `Last-Modified`, so a client cannot hold a date to validate against.
 */
export function ifRangeMatches(header: unknown, etag: string): boolean {
  return typeof header === 'string' && header.trim() === etag;
}

export type DownloadPlan =
  | { status: 412; reason: string }
  | { status: 304 }
  | { status: 200 }
  | { status: 206; range: { start: number; end: number } };

/**
 * What a GET or HEAD of held content answers, from its preconditions and Range, evaluated in the order of RFC 9110
 * §13.2.2: `If-Match` (412 unless it names the strong ETag or is `*`), then `If-None-Match` (304 when it matches,
 * weakly), then `If-Range` (a Range is ignored and the whole body sent unless it names the strong ETag), then `Range`
 * (206, or INVALID_INPUT with the 416 reason). The dates (`If-Unmodified-Since`, `If-Modified-Since`) are ignored: no
 * `Last-Modified` is sent. `etag` is the quoted strong entity tag; `size` the length of the content.
 */
export function planDownload(headers: Readonly<Record<string, unknown>>, etag: string, size: number): DownloadPlan {
  const ifMatch = headers['if-match'];
  if (typeof ifMatch === 'string' && !strongEtagMatches(ifMatch, etag)) {
    return { status: 412, reason: `If-Match ${JSON.stringify(ifMatch.slice(0, 80))} does not match the ETag ${etag}` };
  }
  if (etagMatches(headers['if-none-match'], etag)) return { status: 304 };
  if (headers.range !== undefined && headers['if-range'] !== undefined && !ifRangeMatches(headers['if-range'], etag)) {
    return { status: 200 };
  }
  const range = parseRange(headers.range, size);
  return range ? { status: 206, range } : { status: 200 };
}
