import { describeContext, UfsError, type ErrorContext } from '@org/core';

/** A `Content-Range` header: `bytes 0-9/100`, `bytes 0-9/*`, or (for 416 answers) `bytes *\/100`. */
export interface ContentRange {
  /** First byte, inclusive; undefined for an unsatisfied-range answer. */
  start?: number;
  /** Last byte, inclusive. */
  end?: number;
  /** Full size, when the server knows it. */
  total?: number;
}

export function parseContentRange(header: string | null | undefined): ContentRange | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(header);
  if (!match) return undefined;
  const total = match[3] === '*' ? undefined : Number(match[3]);
  if (match[1] === undefined) return { total };
  return { start: Number(match[1]), end: Number(match[2]), total };
}

/** A byte range asked of a backend: `start`/`end` inclusive as in `ReadOptions`, checked. */
export interface ByteRange {
  start: number;
  /** Inclusive; undefined = to the end. */
  end?: number;
}

/**
 * Checks `{start, end}` of a read and returns the range to request, or undefined for a whole read.
 * INVALID_INPUT for negative, fractional or reversed ranges.
 */
export function requestedRange(
  options: { start?: number; end?: number },
  context: ErrorContext,
): ByteRange | undefined {
  const { start, end } = options;
  if (start === undefined && end === undefined) return undefined;
  const first = start ?? 0;
  const valid =
    Number.isSafeInteger(first) && first >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= first));
  if (!valid) {
    throw new UfsError('INVALID_INPUT', `${describeContext(context)} invalid byte range ${start ?? ''}-${end ?? ''}`, {
      context,
    });
  }
  if (first === 0 && end === undefined) return undefined;
  return { start: first, end };
}

/** The `Range` header for a byte range. */
export function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** How many bytes of a range to pass on, or undefined for "to the end". */
export function rangeLength(range: ByteRange): number | undefined {
  return range.end === undefined ? undefined : range.end - range.start + 1;
}
