import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/** Response headers a browser tus client must read (tus-js-client reads Location, Upload-Offset, …). */
const EXPOSED_HEADERS = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
  'Upload-Metadata',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
].join(', ');

/** Request headers a browser tus client sends (asked for in the preflight). */
const ALLOWED_HEADERS = [
  'X-API-Key',
  'Content-Type',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Offset',
  'Upload-Checksum',
  'Upload-Defer-Length',
  'Upload-Concat',
  'X-HTTP-Method-Override',
  'X-Requested-With',
].join(', ');

const ALLOWED_METHODS = 'POST, HEAD, PATCH, DELETE, OPTIONS';

/** True for `/tus`, `/tus/…` and `/tus?…`. */
function isTusUrl(url: string): boolean {
  return url.startsWith('/tus') && (url.length === 4 || url[4] === '/' || url[4] === '?');
}

/**
 * An `onRequest` hook that adds CORS headers to every response under `/tus` (errors included), for browser tus
 * clients on other origins: `Access-Control-Allow-Origin` (`*`, or the request's `Origin` when it is listed, with
 * `Vary: Origin`), the tus headers exposed, and on a preflight (`OPTIONS` with `Access-Control-Request-Method`) the
 * methods and headers a tus client sends. No credentials: the API key is a request header, never a cookie.
 */
export function tusCorsHook(allowed: '*' | readonly string[]) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!isTusUrl(request.url)) return done();
    let origin: string | undefined;
    if (allowed === '*') origin = '*';
    else {
      reply.header('vary', 'Origin');
      const sent = request.headers.origin;
      if (typeof sent === 'string' && allowed.includes(sent)) origin = sent;
    }
    if (origin !== undefined) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        reply.header('access-control-allow-methods', ALLOWED_METHODS);
        reply.header('access-control-allow-headers', ALLOWED_HEADERS);
        reply.header('access-control-max-age', '86400');
      }
    }
    done();
  };
}

/**
 * The `tusCorsOrigin` option checked: `*`, or origins like `https://app.example` (scheme, host, optional port); null
 * when unset. CONFIG_INVALID names `setting`, where the value came from (apps/api: its environment variable).
 */
export function parseCorsOrigins(value: string | readonly string[], setting?: string): '*' | readonly string[];
export function parseCorsOrigins(
  value: string | readonly string[] | undefined,
  setting?: string,
): '*' | readonly string[] | null;
export function parseCorsOrigins(
  value: string | readonly string[] | undefined,
  setting = 'tusCorsOrigin',
): '*' | readonly string[] | null {
  if (value === undefined) return null;
  if (value === '*') return '*';
  const list = typeof value === 'string' ? [value] : [...value];
  const bad = list.filter((origin) => !/^https?:\/\/[^/\s?#]+$/.test(origin));
  if (list.length === 0 || bad.length) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] ${setting} must be "*" or origins like "https://app.example" (got ${JSON.stringify(bad[0] ?? value)})`,
    );
  }
  return list;
}
