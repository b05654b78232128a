import { Agent as HttpAgent, type AgentOptions, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { describeContext, UfsError, type ErrorContext } from '@org/core';
import { z } from 'zod';

/** The default of `connectTimeoutMs` and `timeoutMs` (as the s3 backend's: the AWS CLI's connect and read timeouts). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); 0 turns a timeout off. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Where a backend connects and how long it waits: what its timeout errors say. */
export interface SocketTimeouts {
  /** The server, as the error names it (`no answer from <endpoint> …`). */
  endpoint: string;
  /** Time to establish the TCP connection; 0 = no limit. */
  connectTimeoutMs: number;
  /** Socket idle time (nothing received or sent) that fails a request; 0 = no limit. Not a whole-request limit. */
  timeoutMs: number;
}

/** The codes the sockets are destroyed with; clients copy `code` onto their own errors (node-fetch, Azure's RestError). */
export const CONNECT_TIMEOUT_CODE = 'UFS_CONNECT_TIMEOUT';
export const IDLE_TIMEOUT_CODE = 'UFS_IDLE_TIMEOUT';

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What a timed-out socket's error says; the same words end up in the TIMEOUT (clients copy the message along). */
function detail(kind: 'connect' | 'idle', timeouts: SocketTimeouts): string {
  return kind === 'connect'
    ? `could not connect to ${timeouts.endpoint} within ${timeouts.connectTimeoutMs} ms (connectTimeoutMs)`
    : `no answer from ${timeouts.endpoint} for ${timeouts.timeoutMs} ms (timeoutMs)`;
}
const DETAIL =
  /(could not connect to \S+ within \d+ ms \(connectTimeoutMs\)|no answer from \S+ for \d+ ms \(timeoutMs\))/;

/** Sockets the timers destroyed, with the error: found again when a client reports only a lost connection. */
const timedOut = new WeakMap<object, Error>();

/**
 * Destroys a socket with the error of a timer that fired. An HTTP response under way on it fails with that error too
 * (else it only gets Node's `aborted` (ECONNRESET), and the client's error would not say it was a timeout).
 */
function expire(socket: Duplex, error: Error): void {
  timedOut.set(socket, error);
  const response = (socket as Duplex & { _httpMessage?: { res?: IncomingMessage } })._httpMessage?.res;
  if (response && !response.complete && !response.destroyed) response.destroy(error);
  socket.destroy(error);
}

/**
 * The error a timer of `timeoutAgents` destroyed a socket with: of `stream` itself or of its `socket` (an HTTP
 * response); undefined when that socket was not timed out. For clients that report such a failure as a plain
 * abort (Azure's download stream).
 */
export function socketTimedOut(stream: unknown): Error | undefined {
  if (!stream || typeof stream !== 'object') return undefined;
  const socket = (stream as { socket?: unknown }).socket;
  return timedOut.get(stream) ?? (socket && typeof socket === 'object' ? timedOut.get(socket) : undefined);
}

/** Arms the connect timer and the idle timer of a socket an agent just created. */
function arm(socket: Duplex, timeouts: SocketTimeouts): void {
  const net = socket as Duplex & { connecting?: boolean; setTimeout(ms: number, callback?: () => void): unknown };
  if (timeouts.connectTimeoutMs > 0 && net.connecting !== false) {
    const timer = setTimeout(
      () => expire(socket, socketError(CONNECT_TIMEOUT_CODE, detail('connect', timeouts))),
      timeouts.connectTimeoutMs,
    );
    const clear = () => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('close', clear);
  }
  if (timeouts.timeoutMs > 0) {
    // The agent keeps this timeout (its `timeout` option) on free sockets too: an idle kept-alive socket closes.
    // A client may not turn it off or lengthen it: node-fetch 3 (the `webdav` client's) calls `setTimeout(0)` when
    // the response's headers arrive, which would leave a body that stalls waited for forever.
    const set = net.setTimeout.bind(net);
    net.setTimeout = (ms: number, callback?: () => void) => {
      if (ms !== 0) return set(Math.min(ms, timeouts.timeoutMs), callback);
      // `setTimeout(0, callback)` also removes that listener (Node's ClientRequest does so when it frees the socket).
      if (callback) socket.removeListener('timeout', callback);
      return set(timeouts.timeoutMs);
    };
    net.setTimeout(timeouts.timeoutMs);
    socket.on('timeout', () => expire(socket, socketError(IDLE_TIMEOUT_CODE, detail('idle', timeouts))));
  }
}

/**
 * Keep-alive HTTP and HTTPS agents whose sockets fail after `connectTimeoutMs` without a connection and after
 * `timeoutMs` with nothing received or sent (mid-body too, so a stalled download ends while a slow but moving one
 * does not). The error reaches the client's request; `socketTimeoutError` turns it into a TIMEOUT.
 */
export function timeoutAgents(timeouts: SocketTimeouts): { http: HttpAgent; https: HttpsAgent } {
  const options: AgentOptions = { keepAlive: true, ...(timeouts.timeoutMs > 0 ? { timeout: timeouts.timeoutMs } : {}) };
  class TimedHttpAgent extends HttpAgent {
    override createConnection(...args: Parameters<HttpAgent['createConnection']>): Duplex {
      const socket = super.createConnection(...args) as Duplex;
      arm(socket, timeouts);
      return socket;
    }
  }
  class TimedHttpsAgent extends HttpsAgent {
    override createConnection(...args: Parameters<HttpsAgent['createConnection']>): Duplex {
      const socket = super.createConnection(...args) as Duplex;
      arm(socket, timeouts);
      return socket;
    }
  }
  return { http: new TimedHttpAgent(options), https: new TimedHttpsAgent(options) };
}

/**
 * Gives one HTTP request of a client that makes its own connections (not through `timeoutAgents`) the idle limit of
 * `timeouts`: nothing received or sent for `timeoutMs` until its response has ended destroys its socket (and the
 * response) with the words `socketTimeoutError` recognises. The limit leaves with the request: a kept-alive socket
 * goes back to its pool as it was.
 */
export function limitIdleRequest(request: ClientRequest, timeouts: SocketTimeouts): void {
  if (timeouts.timeoutMs === 0) return;
  request.setTimeout(timeouts.timeoutMs, () => {
    const error = socketError(IDLE_TIMEOUT_CODE, detail('idle', timeouts));
    if (request.socket) expire(request.socket, error);
    else request.destroy(error);
  });
}

/** The timeout code an error (or one of its causes) carries, and the words of the first message that has them. */
function timeoutOf(err: unknown): { kind: 'connect' | 'idle'; detail: string | undefined } | undefined {
  let kind: 'connect' | 'idle' | undefined;
  let found: string | undefined;
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === CONNECT_TIMEOUT_CODE) kind ??= 'connect';
    if (code === IDLE_TIMEOUT_CODE) kind ??= 'idle';
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string') found ??= DETAIL.exec(message)?.[1];
  }
  return kind ? { kind, detail: found } : undefined;
}

/**
 * A TIMEOUT naming the server and the option that fired (`could not connect to <endpoint> within N ms
 * (connectTimeoutMs)`, `no answer from <endpoint> for N ms (timeoutMs)`) when `err` comes from a socket of
 * `timeoutAgents` (its code, kept by fetch and the SDKs, says so); undefined for any other error.
 */
export function socketTimeoutError(err: unknown, context: ErrorContext): UfsError | undefined {
  const timeout = timeoutOf(err);
  if (!timeout) return undefined;
  const option = timeout.kind === 'connect' ? 'connectTimeoutMs' : 'timeoutMs';
  const words =
    timeout.detail ?? (timeout.kind === 'connect' ? `could not connect (${option})` : `no answer (${option})`);
  return new UfsError('TIMEOUT', `${describeContext(context)} ${words}`, {
    context: { ...context, timeout: option },
    cause: err,
    retryable: true,
  });
}

/** The TIMEOUT of a limit of `timeouts` that a backend enforces itself (not through a socket of the agents). */
export function timeoutUfsError(
  kind: 'connect' | 'idle',
  context: ErrorContext,
  timeouts: SocketTimeouts,
  cause?: unknown,
): UfsError {
  const option = kind === 'connect' ? 'connectTimeoutMs' : 'timeoutMs';
  return new UfsError('TIMEOUT', `${describeContext(context)} ${detail(kind, timeouts)}`, {
    context: { ...context, timeout: option },
    cause,
    retryable: true,
  });
}

/** `connectTimeoutMs` / `timeoutMs`: whole milliseconds, 0 for no limit (numbers or the strings a URL gives). */
export function timeoutMsSchema(what: 'connectTimeoutMs' | 'timeoutMs') {
  return z.coerce
    .number({ error: `${what} must be a number of milliseconds` })
    .int(`${what} must be a whole number of milliseconds`)
    .min(0, `${what} must be at least 0 (0 = no limit)`)
    .max(MAX_TIMEOUT_MS, `${what} must be at most ${MAX_TIMEOUT_MS}`);
}
