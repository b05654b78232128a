import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { UfsError, httpError, toUfsError, type ErrorContext } from '@org/core';
import { requestSignals, signalError, type RequestSignals } from './signals.js';

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
  /** Follow redirects (downloads). Default false. */
  followRedirects?: boolean;
  /** Where the call happens, for error messages. */
  context: ErrorContext;
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
}

const USER_AGENT = 'ufs/0.1 (+https://github.com/org/ufs)';
const MAX_TEXT_BYTES = 1024 * 1024;

// One agent for uploads (keep-alive, no redirects) and one that follows redirects for downloads.
const uploadAgent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const downloadAgent = new Agent({ keepAliveTimeout: 10_000 }).compose(interceptors.redirect({ maxRedirections: 5 }));

/** A header value as one string. */
export function header(headers: HttpReply['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Sends a request and returns status, headers and the (streamed) body; maps failures to UfsErrors. */
export async function httpStream(call: HttpCall): Promise<HttpStreamReply> {
  const signals = requestSignals(call.signal, call.timeoutMs);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...call.headers };
  try {
    const response = await request(call.url, {
      method: call.method,
      headers,
      body: call.body as Dispatcher.DispatchOptions['body'],
      signal: signals.signal,
      dispatcher: call.followRedirects ? downloadAgent : uploadAgent,
    });
    return { status: response.statusCode, headers: response.headers, body: response.body, signals };
  } catch (err) {
    throw signalError(signals, call.context, err) ?? toUfsError(err, call.context);
  }
}

/** Reads at most `limit` bytes of a body as UTF-8 text, then discards the rest. */
export async function readText(reply: HttpStreamReply, context: ErrorContext, limit = MAX_TEXT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  try {
    for await (const chunk of reply.body as AsyncIterable<Buffer>) {
      if (kept < limit) {
        const piece = chunk.subarray(0, limit - kept);
        chunks.push(piece);
        kept += piece.byteLength;
      }
    }
  } catch (err) {
    throw signalError(reply.signals, context, err) ?? toUfsError(err, context);
  }
  return Buffer.concat(chunks).toString('utf8');
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
  const text = await readText(reply, call.context);
  if (reply.status >= 300) {
    throw serviceHttpError(reply.status, excerpt(text), call.context, header(reply.headers, 'retry-after'));
  }
  return { status: reply.status, headers: reply.headers, text };
}

/** First line-ish of a body, for error messages. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
