import { httpCall, type HttpReply } from '../http/transport.js';
import { multipartBody } from '../http/multipart.js';
import type { SendContext } from './define.js';

export interface MultipartRequest {
  url: string;
  /** Text fields, sent before the file in this order. */
  fields?: ReadonlyArray<readonly [string, string]>;
  /** Name of the file field. */
  field: string;
  headers?: Record<string, string>;
}

/** A URL made from the configured base URL names it (whole, for the plain-HTTP advice); others (a URL a service gave) do not. */
function configured(ctx: SendContext, url: string): { configuredUrl?: string } {
  return ctx.baseUrl && url.startsWith(ctx.baseUrl) ? { configuredUrl: ctx.baseUrl } : {};
}

/** POSTs the file as multipart/form-data (streamed, exact Content-Length) and returns the answer. */
export function postMultipart(ctx: SendContext, req: MultipartRequest): Promise<HttpReply> {
  const form = multipartBody(req.fields ?? [], {
    field: req.field,
    filename: ctx.source.filename,
    contentType: ctx.source.contentType ?? 'application/octet-stream',
    size: ctx.source.size,
    // undici's request body writer waits for the socket to drain before pulling the next chunk: buffers can be reused.
    bytes: ctx.bytes({ reuseBuffers: true }),
  });
  return httpCall({
    url: req.url,
    method: 'POST',
    headers: { ...req.headers, 'content-type': form.contentType, 'content-length': String(form.contentLength) },
    body: form.body,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    idleTimeoutMs: ctx.idleTimeoutMs,
    context: ctx.context,
    ...configured(ctx, req.url),
  });
}

/** PUTs the file as the raw request body (streamed) and returns the answer. */
export function putRaw(ctx: SendContext, url: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return httpCall({
    url,
    method: 'PUT',
    headers: {
      'content-type': ctx.source.contentType ?? 'application/octet-stream',
      ...headers,
      'content-length': String(ctx.source.size),
    },
    body: ctx.bytes({ reuseBuffers: true }),
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    idleTimeoutMs: ctx.idleTimeoutMs,
    context: ctx.context,
    ...configured(ctx, url),
  });
}

/** The path segment for a file name (percent-encoded, so spaces and `#?/` survive). */
export function pathName(filename: string): string {
  return encodeURIComponent(filename);
}

/** Parses a JSON answer; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
