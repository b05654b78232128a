import type { IncomingHttpHeaders } from 'node:http';
import type { SourceStat } from '../virtual/readable-node.js';

/**
 * The entity tag of a node: the backend's own (quoted, weak kept weak), else a weak one from size and mtime, else
 * none. Quotes inside a backend's tag are dropped so the header stays well formed.
 */
export function entityTag(stat: SourceStat): string | undefined {
  if (stat.etag) {
    const weak = stat.etag.startsWith('W/');
    const bare = stat.etag.replace(/^W\//, '').replaceAll('"', '');
    if (bare !== '') return `${weak ? 'W/' : ''}"${bare}"`;
  }
  if (stat.size === undefined || !stat.mtime) return undefined;
  return `W/"${stat.size.toString(16)}-${stat.mtime.getTime().toString(16)}"`;
}

function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim());
}

const opaque = (tag: string): string => tag.replace(/^W\//, '');

/**
 * `If-None-Match` (weak comparison, `*`) or, without it, `If-Modified-Since` say the client's copy is current:
 * answer 304. Evaluated as RFC 9110 asks of an origin server, whatever the request's Cache-Control says (fetch()
 * adds `no-cache` to every conditional request).
 */
export function isFresh(headers: IncomingHttpHeaders, etag: string | undefined, mtime: Date | undefined): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true;
    return etag !== undefined && tags(noneMatch).some((tag) => opaque(tag) === opaque(etag));
  }
  const since = headers['if-modified-since'];
  if (since === undefined || !mtime) return false;
  const date = Date.parse(since);
  return !Number.isNaN(date) && Math.floor(mtime.getTime() / 1000) * 1000 <= date;
}

/** `If-Match` / `If-Unmodified-Since` fail: answer 412 (strong comparison for tags). */
export function preconditionFails(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  mtime: Date | undefined,
): boolean {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (ifMatch.trim() === '*') return false;
    return !etag || etag.startsWith('W/') || !tags(ifMatch).includes(etag);
  }
  const since = headers['if-unmodified-since'];
  if (since !== undefined && mtime) {
    const date = Date.parse(since);
    return !Number.isNaN(date) && Math.floor(mtime.getTime() / 1000) * 1000 > date;
  }
  return false;
}

/**
 * `If-Range`: the range applies only if the validator still matches — an entity tag by strong comparison (a weak
 * tag never matches), or a date equal to Last-Modified. Otherwise the whole content is sent.
 */
export function ifRangeAllows(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  lastModified: string | undefined,
): boolean {
  const raw = headers['if-range'];
  const ifRange = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!ifRange) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/'))
    return etag !== undefined && !etag.startsWith('W/') && ifRange === etag;
  return lastModified !== undefined && Date.parse(ifRange) === Date.parse(lastModified);
}

export type RangeRequest =
  { kind: 'none' } | { kind: 'single'; start: number; end: number } | { kind: 'unsatisfiable' };

/** One range-spec of a `bytes` Range header (RFC 9110 §14.1.1): `first-last`, `first-` or a suffix `-length`. */
const RANGE_SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

/**
 * The `Range` header against a size: one byte range (overlapping and adjacent ranges combined), or `unsatisfiable`
 * (416: no range starts inside the content, or the content is empty). A suffix longer than the content selects all
 * of it (RFC 9110 §14.1.2). An invalid header (bad syntax, a range whose last byte is before its first) is ignored as
 * a whole, as are other units and several disjoint ranges: the whole content is sent (`none`), which RFC 9110 allows.
 */
export function requestedRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'none' };
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return { kind: 'none' };
  const specs = header
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length === 0) return { kind: 'none' };
  const ranges: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const match = RANGE_SPEC.exec(spec);
    if (!match) return { kind: 'none' };
    const [, first, last, suffix] = match;
    if (suffix !== undefined) {
      const length = Number(suffix);
      if (length > 0 && size > 0) ranges.push({ start: Math.max(0, size - length), end: size - 1 });
      continue;
    }
    if (last !== '' && BigInt(last!) < BigInt(first!)) return { kind: 'none' }; // invalid: the header is ignored
    const start = Number(first);
    if (start >= size) continue; // unsatisfiable, but another range may be satisfiable
    ranges.push({ start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) });
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  ranges.sort((a, b) => a.start - b.start);
  const combined = [ranges[0]!];
  for (const range of ranges.slice(1)) {
    const current = combined[combined.length - 1]!;
    if (range.start > current.end + 1) combined.push({ ...range });
    else current.end = Math.max(current.end, range.end);
  }
  if (combined.length !== 1) return { kind: 'none' };
  return { kind: 'single', start: combined[0]!.start, end: combined[0]!.end };
}
