import type { Readable } from 'node:stream';
import type { File } from '@google-cloud/storage';

/**
 * The HTTP requests of one write. The SDK's resumable upload never cancels its request when its stream is destroyed
 * (the `PUT` then waits for body bytes that never come, its connection keeping the process alive until the server
 * gives up, and a request whose body was all sent still makes the object): the write's requests go through an
 * adapter of the SDK's HTTP client (gaxios' `adapter` option, set by a request interceptor of the File), which gives
 * each its own cancel signal and sees how far its body got.
 */

/** What the adapter sees of a request (gaxios' options, as far as used here). */
interface RequestOptions {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  body?: unknown;
  signal?: {
    aborted: boolean;
    addEventListener?(type: 'abort', listener: () => void): void;
    removeEventListener?(type: 'abort', listener: () => void): void;
  };
  [option: string]: unknown;
}
type Send = (options: RequestOptions) => Promise<{ status: number }>;

interface InFlight {
  /** The request makes the object once its body is all in. */
  completes: boolean;
  /** Body bytes handed to the request so far, and how many it has (undefined: not known). */
  sent: number;
  length: number | undefined;
  body: Readable | undefined;
  cancel(reason: Error): void;
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value === undefined ? undefined : String(value);
  }
  return undefined;
}

/**
 * Whether the request makes the object once its body is in: a resumable upload's request that carries the last
 * byte (`Content-Range: bytes 0-*\/*`, or `bytes a-b/total` with `b + 1 = total`). `bytes *\/*` only asks how far
 * the upload got; the session's `POST` makes nothing.
 */
function completes(options: RequestOptions): boolean {
  if (options.method?.toUpperCase() !== 'PUT') return false;
  const range = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(header(options.headers, 'content-range') ?? '');
  if (!range) return false;
  return range[2] === '*' || (range[3] !== '*' && Number(range[2]) + 1 === Number(range[3]));
}

function isReadable(body: unknown): body is Readable {
  return typeof (body as Readable | undefined)?.pipe === 'function' && typeof (body as Readable).on === 'function';
}

/** Whether the server may already have the whole body of a request that makes the object. */
function delivered(request: InFlight): boolean {
  if (!request.completes) return false;
  if (request.body === undefined || request.body.readableEnded) return true;
  return request.length !== undefined && request.sent >= request.length;
}

/** The requests of one write (see `watchWrite`). */
export interface WriteWatch {
  /**
   * Whether the request that makes the object has been sent whole (or answered with success): the server may have
   * made the object, so only its answer tells whether the write happened.
   */
  committed(): boolean;
  /** Fails the write's requests in flight and any it starts later with `reason` (it must not be retryable). */
  cancel(reason: Error): void;
}

/** Sends every request of `file` (an SDK object used for one write only) through a watch of the write. */
export function watchWrite(file: Pick<File, 'interceptors'>): WriteWatch {
  const requests = new Set<InFlight>();
  let made = false;
  let cancelled: Error | undefined;

  const adapter = async (options: RequestOptions, send: Send) => {
    if (cancelled) throw cancelled;
    const controller = new AbortController();
    const theirs = options.signal;
    const onTheirs = () => controller.abort();
    if (theirs?.aborted) controller.abort();
    else theirs?.addEventListener?.('abort', onTheirs);
    const length = Number(header(options.headers, 'content-length'));
    const body = isReadable(options.body) ? options.body : undefined;
    const request: InFlight = {
      completes: completes(options),
      sent: 0,
      length: Number.isFinite(length) ? length : undefined,
      body,
      cancel: (reason) => controller.abort(reason),
    };
    // Every chunk the body gives is written to the request at once (node-fetch pipes it): counted once it flows
    // (a `data` listener before the pipe would start the flow itself).
    body?.once('resume', () => body.on('data', (chunk: Uint8Array) => (request.sent += chunk.byteLength)));
    requests.add(request);
    try {
      const response = await send({ ...options, signal: controller.signal });
      if (request.completes && response.status >= 200 && response.status < 300) made = true;
      return response;
    } catch (err) {
      throw cancelled ?? err;
    } finally {
      requests.delete(request);
      theirs?.removeEventListener?.('abort', onTheirs);
    }
  };
  type Interceptor = File['interceptors'][number];
  file.interceptors.push({
    request: (options) => ({ ...options, adapter }) as unknown as ReturnType<Interceptor['request']>,
  });
  return {
    committed: () => made || [...requests].some(delivered),
    cancel(reason) {
      if (cancelled) return;
      cancelled = reason;
      for (const request of requests) request.cancel(reason);
    },
  };
}
