import type { IncomingHttpHeaders } from 'node:http';
import rangeParser from 'range-parser';
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

/**
 * The `Range` header against a size: one byte range (overlapping ranges combined), or `unsatisfiable` (416).
 * Malformed headers, other units and several disjoint ranges are answered with the whole content (`none`), which
 * RFC 9110 allows.
 */
export function requestedRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'none' };
  const ranges = rangeParser(size, header, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'none' };
  const range = ranges[0]!;
  return { kind: 'single', start: range.start, end: range.end };
}
