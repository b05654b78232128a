import { maxHeaderSize } from 'node:http';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import {
  UfsError,
  describeContext,
  formatBytes,
  formatSeconds,
  httpError,
  notTlsError,
  redactUrl,
  toUfsError,
  type ErrorContext,
} from '@org/core';
import { excerpt } from './service-text.js';
import { requestSignals, signalError, type RequestSignals } from './signals.js';

export { excerpt } from './service-text.js';

export type HttpBody = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface HttpCall {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  headers?: Record<string, string>;
  body?: HttpBody;
  /** The caller's signal: ABORTED when it fires. */
  signal?: AbortSignal;
  /** Whole-request deadline: TIMEOUT when it passes. */
  timeoutMs?: number;
  /** Longest wait with nothing happening (see `DEFAULT_IDLE_TIMEOUT_MS`, the default); 0 turns it off. */
  idleTimeoutMs?: number;
  /** Follow redirects (downloads). Default false. */
  followRedirects?: boolean;
  /** Where the call happens, for error messages. */
  context: ErrorContext;
  /**
   * The address the user configured that `url` was made from (a provider's base URL, `UFS_SERVER`): the advice for an
   * `https://` address of a plain-HTTP server gives it whole, path and query included. Without it, `url`'s origin.
   */
  configuredUrl?: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (upload answers are small; at most `maxTextBytes` are kept). */
  text: string;
}

export interface HttpStreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  signals: RequestSignals;
  /** The idle timeout of this request (for the message when reading the body stalls). */
  idleTimeoutMs: number;
}

const USER_AGENT = 'ufs/0.1 (+https://github.com/org/ufs)';
const MAX_TEXT_BYTES = 1024 * 1024;
/** Redirects a download follows. */
export const MAX_REDIRECTS = 5;

/**
 * Default of the idle timeout of every request: no answer this long after the request body was sent (or, while it is
 * being sent, the server taking none of it: one chunk of up to 1 MiB must leave within it), or no data this long
 * while an answer is read. Hosting services answer promptly once the body is in; without it undici's own 300 s
 * would apply, silently, on each attempt.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

// One agent for uploads (keep-alive, no redirects) and one that follows redirects for downloads. Their timeouts are
// set on each request, from `idleTimeoutMs` (undici's own defaults on the agents never apply).
const uploadAgent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const downloadAgent = new Agent({ keepAliveTimeout: 10_000 }).compose(
  interceptors.redirect({ maxRedirections: MAX_REDIRECTS }),
);

/**
 * The error for a failed request or body read: ABORTED/TIMEOUT when a signal fired, TIMEOUT naming the idle timeout
 * when undici's fired, else the classified error.
 */
export function transportError(
  err: unknown,
  signals: RequestSignals,
  context: ErrorContext,
  idleTimeoutMs: number,
): UfsError {
  const fired = signalError(signals, context, err);
  if (fired) return fired;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const what =
      code === 'UND_ERR_HEADERS_TIMEOUT'
        ? `no answer within ${formatSeconds(idleTimeoutMs)} of sending the request (or the server stopped taking its body)`
        : `no data for ${formatSeconds(idleTimeoutMs)} while reading the answer`;
    return new UfsError('TIMEOUT', `${describeContext(context)} ${what} (idle timeout)`, {
      context,
      cause: err,
      retryable: true,
    });
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') {
    // undici reads at most Node's `http.maxHeaderSize` (16 KiB unless `--max-http-header-size` says otherwise). The
    // answer is malformed for us, as one without a URL: UNEXPECTED, and the same answer would come again.
    return new UfsError(
      'UNEXPECTED',
      `${describeContext(context)} the service's answer headers are larger than ${formatBytes(maxHeaderSize)} (the most Node.js reads, see --max-http-header-size)`,
      { context, cause: err, retryable: false },
    );
  }
  return toUfsError(err, context);
}

/**
 * An `https://` URL whose server answers in plain HTTP (OpenSSL's `wrong version number`): CONFIG_INVALID naming the
 * address and its `http://` form (core's `notTlsError`), not retried, instead of the raw TLS error. `url` is the
 * address the user configured (a base URL with its path and query, an endpoint), given whole with `http://`: following
 * the advice must not lose a path (`/ufs`) or a query. Secrets in it (`user:password@`, `?token=…`) are never shown
 * (core's `redactUrl`), and a URL shown without them cannot be pasted back as it is: the advice then says to keep
 * them ("with your credentials in it, not shown here"). `originOnly` (a request URL made from no configured address)
 * gives its origin instead. Undefined for any other failure.
 */
export function plainHttpError(
  err: unknown,
  url: string,
  context: ErrorContext,
  originOnly = false,
): UfsError | undefined {
  let address: string;
  try {
    address = originOnly ? new URL(url).origin : url;
  } catch {
    return undefined;
  }
  const plain = address.replace(/^https:/i, 'http:');
  const hidden = redactUrl(plain) !== plain;
  return notTlsError(
    err,
    address,
    context,
    (shown) => `give its URL as ${shown}${hidden ? ' with your credentials in it (not shown here)' : ''}`,
  );
}

/** The error for a download that was redirected more than `MAX_REDIRECTS` times, or in a loop. */
function tooManyRedirects(url: string, context: ErrorContext, detail: string, cause?: unknown): UfsError {
  return new UfsError(
    'UNEXPECTED',
    `${describeContext(context)} too many redirects (limit ${MAX_REDIRECTS}) at ${url}: ${detail}`,
    {
      context,
      cause,
      retryable: false,
    },
  );
}

/** A header value as one string. */
export function header(headers: HttpReply['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Sends a request and returns status, headers and the (streamed) body; maps failures to UfsErrors. */
export async function httpStream(call: HttpCall): Promise<HttpStreamReply> {
  const signals = requestSignals(call.signal, call.timeoutMs);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...call.headers };
  const idleTimeoutMs = call.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const sent = trackBody(call.body, headers['content-length']);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(call.url, {
      method: call.method,
      headers,
      body: sent.body as Dispatcher.DispatchOptions['body'],
      signal: signals.signal,
      dispatcher: call.followRedirects ? downloadAgent : uploadAgent,
      headersTimeout: idleTimeoutMs,
      bodyTimeout: idleTimeoutMs,
    });
  } catch (err) {
    if (call.followRedirects && !signals.signal?.aborted && /^Redirect loop detected/.test((err as Error).message)) {
      throw tooManyRedirects(call.url, call.context, 'it redirects back to an address already visited', err);
    }
    throw (
      plainHttpError(err, call.configuredUrl ?? call.url, call.context, call.configuredUrl === undefined) ??
      transportError(err, signals, call.context, idleTimeoutMs)
    );
  }
  const location = header(response.headers, 'location');
  if (call.followRedirects && response.statusCode >= 300 && response.statusCode < 400 && location) {
    // The redirect interceptor hands back the answer it stopped at: the limit was reached.
    discard(response.body);
    throw tooManyRedirects(
      call.url,
      call.context,
      `the last answer (HTTP ${response.statusCode}) redirects to ${location}`,
    );
  }
  if (response.statusCode < 300 && !sent.complete()) {
    // A success for bytes the service never took: never an upload that counts (the URL would not serve this file).
    discard(response.body);
    throw new UfsError(
      'UNEXPECTED',
      `${describeContext(call.context)} the service answered HTTP ${response.statusCode} before the upload was sent (${sent.pulled()} of ${headers['content-length']} bytes had been sent): the answer cannot be for this file`,
      { context: { ...call.context, status: response.statusCode }, retryable: false },
    );
  }
  return { status: response.statusCode, headers: response.headers, body: response.body, signals, idleTimeoutMs };
}

/**
 * A streamed request body with a declared Content-Length, counted as undici pulls it: `complete()` tells whether
 * its last byte had been handed to the connection. A server cannot have received the whole body before that, so a
 * success answer that comes earlier is not an answer to the upload. Other bodies (none, a string, bytes in memory)
 * are whole at once. Nothing is buffered: each chunk is passed on as it is pulled.
 */
function trackBody(
  body: HttpBody | undefined,
  contentLength: string | undefined,
): { body: HttpBody | undefined; complete(): boolean; pulled(): number } {
  const length = contentLength === undefined ? NaN : Number(contentLength);
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array || !Number.isSafeInteger(length)) {
    return { body, complete: () => true, pulled: () => length };
  }
  let pulled = 0;
  let ended = false;
  async function* counted(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      pulled += chunk.byteLength;
      yield chunk;
    }
    ended = true;
  }
  return { body: counted(body), complete: () => ended || pulled >= length, pulled: () => pulled };
}

/** Closes a body that will not be read (its abort error has nowhere to go). */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/**
 * Reads at most `limit` bytes of a body; a longer body is cut there and the rest is not read (the connection is
 * closed), so an answer that never ends cannot hold the call.
 */
export async function readBytes(
  reply: HttpStreamReply,
  context: ErrorContext,
  limit = MAX_TEXT_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  try {
    for await (const chunk of reply.body as AsyncIterable<Buffer>) {
      const piece = chunk.subarray(0, limit - kept);
      chunks.push(piece);
      kept += piece.byteLength;
      if (kept >= limit) break; // leaving the loop destroys the body
    }
  } catch (err) {
    throw transportError(err, reply.signals, context, reply.idleTimeoutMs);
  } finally {
    if (!reply.body.destroyed && !reply.body.readableEnded) discard(reply.body);
  }
  return Buffer.concat(chunks);
}

/** `readBytes` as UTF-8 text. */
export async function readText(reply: HttpStreamReply, context: ErrorContext, limit = MAX_TEXT_BYTES): Promise<string> {
  return (await readBytes(reply, context, limit)).toString('utf8');
}

/**
 * The error for a hosting service's HTTP answer: the core classification, except that every 5xx is transient, 501
 * included (the hosting spec: "other 5xx are transient"; the core maps 501 to UNSUPPORTED, which is right for ufs's
 * own servers and storage backends but not for a public upload service having a bad moment).
 */
export function serviceHttpError(
  status: number,
  detail: string,
  context: ErrorContext,
  retryAfter?: string | null,
): UfsError {
  const error = httpError(status, detail, context, retryAfter);
  if (status !== 501) return error;
  return new UfsError('UNAVAILABLE', error.message, {
    context: error.context,
    retryable: true,
    retryAfterMs: error.retryAfterMs,
  });
}

/**
 * Sends a request and reads the answer as text. Any status ≥ 300 becomes a UfsError through `serviceHttpError`
 * (429/5xx retryable, other 4xx permanent), with `Retry-After` honoured and a short excerpt of the body in the
 * message.
 */
export async function httpCall(call: HttpCall): Promise<HttpReply> {
  const reply = await httpStream(call);
  const bytes = await readBytes(reply, call.context);
  if (reply.status >= 300) {
    const detail = excerpt(bytes, undefined, bytes.byteLength >= MAX_TEXT_BYTES);
    throw serviceHttpError(reply.status, detail, call.context, header(reply.headers, 'retry-after'));
  }
  return { status: reply.status, headers: reply.headers, text: bytes.toString('utf8') };
}
