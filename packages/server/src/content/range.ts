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

/** True when an `If-None-Match` header matches the entity tag. */
export function etagMatches(header: unknown, etag: string): boolean {
  if (typeof header !== 'string') return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}
