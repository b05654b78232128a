import { Readable } from 'node:stream';
import { describeContext, redactUrl, tlsCertificateError, toUfsError, UfsError, type ErrorContext } from '@org/core';
import { plainHttpAnswerError, type ConfiguredAddress } from '../../errors.js';
import { badPortError } from '../../util/fetch-ports.js';

export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface TimedFetchOptions {
  /** Time allowed for the response headers, and then for each wait on the body (idle timeout). */
  timeoutMs?: number;
  /** The caller's signal: aborting it stops the request or the body with ABORTED. */
  signal?: AbortSignal;
  fetch?: FetchFunction;
  context: ErrorContext;
  /** The option the URL's origin comes from (`baseUrl`), named when fetch refuses its port. */
  urlOption?: string;
  /** The configured address the URL is below (`baseUrl`): named when it is `https://` and its server has no TLS. */
  address?: ConfiguredAddress;
}

export interface BodyOptions {
  /** Bytes to drop from the start of the body (a server that ignored `Range`). */
  skip?: number;
  /** Bytes to pass on at most; the connection is closed once they are through. */
  limit?: number;
}

/** A response whose body is read as a Node stream with the same signal, timeout and error mapping. */
export interface TimedResponse {
  readonly response: Response;
  /** The body as a Node Readable: streamed chunk by chunk, errors are UfsErrors. Call at most once. */
  body(options?: BodyOptions): Readable;
  /** Drops the body and releases the connection. */
  discard(): void;
}

/** `host:port` of a URL (the default port spelled out), for errors that do not name the server (fetch's TLS ones). */
export function serverOf(url: string | URL): string | undefined {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : '');
    return port ? `${parsed.hostname}:${port}` : parsed.hostname;
  } catch {
    return undefined;
  }
}

/**
 * CONFIG_INVALID for a URL holding `user:password@`, which fetch refuses with a TypeError that prints the whole URL;
 * the message names the URL without them. Undefined for any other URL.
 */
function credentialsInUrlError(url: string | URL, context: ErrorContext, option?: string): UfsError | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username === '' && parsed.password === '') return undefined;
  const from = option ? ` (from ${option})` : '';
  return new UfsError(
    'CONFIG_INVALID',
    `${describeContext(context)} the URL ${redactUrl(parsed.href)}${from} holds a user name or password (user:password@), which fetch does not send: give them as an Authorization header`,
    { context },
  );
}

function abortedError(context: ErrorContext, cause?: unknown): UfsError {
  return new UfsError('ABORTED', `${describeContext(context)} aborted`, { context, cause });
}

function timeoutError(context: ErrorContext, timeoutMs: number, what: string): UfsError {
  return new UfsError('TIMEOUT', `${describeContext(context)} no ${what} within ${timeoutMs} ms`, {
    context,
    retryable: true,
  });
}

/**
 * `fetch` with the caller's abort signal and a timeout for the headers, returning a response whose body can be
 * streamed with an idle timeout, a skip and a limit. Every failure is a UfsError (ABORTED, TIMEOUT, CONFIG_INVALID
 * for a port fetch refuses, a URL holding `user:password@` (never shown) or an `https://` `address` whose server
 * does not speak TLS, or the network error classified by `toUfsError`).
 */
export async function timedFetch(
  url: string | URL,
  init: RequestInit,
  options: TimedFetchOptions,
): Promise<TimedResponse> {
  const { timeoutMs, signal, context } = options;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const credentialed = credentialsInUrlError(url, context, options.urlOption);
  if (credentialed) throw credentialed;
  if (signal?.aborted) throw abortedError(context, signal.reason);
  const controller = new AbortController();
  let failure: UfsError | undefined;
  const onAbort = () => {
    failure ??= abortedError(context, signal?.reason);
    controller.abort(failure);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const release = () => signal?.removeEventListener('abort', onAbort);
  const fail = (error: UfsError) => {
    failure ??= error;
    controller.abort(failure);
  };

  const timer = timeoutMs ? setTimeout(() => fail(timeoutError(context, timeoutMs, 'answer')), timeoutMs) : undefined;
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, signal: controller.signal });
  } catch (err) {
    release();
    throw (
      failure ??
      badPortError(err, url, context, options.urlOption) ??
      plainHttpAnswerError(err, options.address, context) ??
      tlsCertificateError(err, context, serverOf(url)) ??
      toUfsError(err, context)
    );
  } finally {
    clearTimeout(timer);
  }

  let used = false;
  return {
    response,
    body(bodyOptions = {}) {
      if (used) throw new Error('body() called twice');
      used = true;
      return new BodyStream(response, bodyOptions, {
        idleMs: timeoutMs,
        context,
        failure: () => failure,
        fail,
        close: () => {
          release();
          controller.abort();
        },
      });
    },
    discard() {
      used = true;
      release();
      response.body?.cancel().catch(() => undefined);
      controller.abort();
    },
  };
}

interface BodyControl {
  idleMs: number | undefined;
  context: ErrorContext;
  failure(): UfsError | undefined;
  fail(error: UfsError): void;
  close(): void;
}

/** Pulls a fetch body one chunk per `_read` (so backpressure holds), dropping `skip` bytes and stopping at `limit`. */
class BodyStream extends Readable {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private skip: number;
  private remaining: number | undefined;
  private pulling = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    response: Response,
    options: BodyOptions,
    private readonly control: BodyControl,
  ) {
    super();
    this.reader = response.body?.getReader();
    this.skip = options.skip ?? 0;
    this.remaining = options.limit;
  }

  override _read(): void {
    if (this.pulling) return;
    this.pulling = true;
    void this.pull();
  }

  private async pull(): Promise<void> {
    try {
      for (;;) {
        if (!this.reader || this.remaining === 0) return this.finish();
        this.armIdleTimer();
        const { done, value } = await this.reader.read();
        clearTimeout(this.timer);
        if (done) return this.finish();
        let chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (this.skip > 0) {
          const dropped = Math.min(this.skip, chunk.length);
          this.skip -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.length === 0) continue;
        if (this.remaining !== undefined) {
          if (chunk.length > this.remaining) chunk = chunk.subarray(0, this.remaining);
          this.remaining -= chunk.length;
        }
        this.pulling = false;
        this.push(chunk);
        return;
      }
    } catch (err) {
      clearTimeout(this.timer);
      this.pulling = false;
      this.destroy(this.control.failure() ?? toUfsError(err, this.control.context));
    }
  }

  private finish(): void {
    this.pulling = false;
    if (this.remaining === 0) this.control.close();
    this.push(null);
  }

  private armIdleTimer(): void {
    const { idleMs } = this.control;
    if (!idleMs) return;
    this.timer = setTimeout(() => {
      const error = timeoutError(this.control.context, idleMs, 'data');
      this.control.fail(error);
      this.destroy(error);
    }, idleMs);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    this.reader?.cancel().catch(() => undefined);
    this.control.close();
    callback(error);
  }
}
