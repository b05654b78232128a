import { Agent, fetch as undiciFetch } from 'undici';
import type { ErrorContext, UfsError } from '@org/core';
import { DEFAULT_IDLE_TIMEOUT_MS, transportError } from '../http/transport.js';
import type { RequestSignals } from '../http/signals.js';

/**
 * The idle timeout (`idleTimeoutMs`) for the SDK providers (`s3`, `dropbox`), with the HTTP providers' default and
 * meaning: no answer that long after a request was sent, the server taking none of its body that long, or no data
 * that long while an answer is read. It fails with the same TIMEOUT and message as theirs (`transportError`).
 */
export function idleTimeoutOf(idleTimeoutMs: number | undefined): number {
  return idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
}

/**
 * The S3 client's request handler options: the connection and the socket may stay idle at most `idleTimeoutMs`
 * (the SDK's `requestTimeout` would only log a warning). 0 turns both off.
 */
export function s3HandlerOptions(idleTimeoutMs: number): { connectionTimeout?: number; socketTimeout?: number } {
  if (idleTimeoutMs <= 0) return {};
  return { connectionTimeout: idleTimeoutMs, socketTimeout: idleTimeoutMs };
}

// undici takes its header and body timeouts from the dispatcher under `fetch`: one agent per idle timeout used.
const agents = new Map<number, Agent>();

function agentFor(idleTimeoutMs: number): Agent {
  let agent = agents.get(idleTimeoutMs);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 10_000, headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs });
    agents.set(idleTimeoutMs, agent);
  }
  return agent;
}

export type FetchImpl = (url: string, init: Record<string, unknown>) => ReturnType<typeof undiciFetch>;

/** A fetch (for the Dropbox SDK) whose requests have the idle timeout, as the HTTP providers' requests have. */
export function idleFetch(idleTimeoutMs: number, rewrite: (url: string) => string = (url) => url): FetchImpl {
  const dispatcher = agentFor(idleTimeoutMs);
  return (url, init) => undiciFetch(rewrite(url), { ...init, dispatcher } as never);
}

const SMITHY_SOCKET_IDLE = /^@smithy\/node-http-handler - the request socket (timed out|did not establish)/;

/** Whether an error is the S3 handler's own socket or connection timeout (the idle timeout of an SDK request). */
export function isSdkIdleTimeout(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, message } = err as { name?: unknown; message?: unknown };
  return name === 'TimeoutError' && typeof message === 'string' && SMITHY_SOCKET_IDLE.test(message);
}

/**
 * The error of an SDK request that may have hit the idle timeout: the HTTP providers' TIMEOUT (`no answer within …
 * (idle timeout)`, retryable) when it did — undici's timeout under fetch's `fetch failed`, or the S3 handler's socket
 * or connection timeout —, else undefined.
 */
export function idleTimeoutError(
  err: unknown,
  signals: RequestSignals,
  context: ErrorContext,
  idleTimeoutMs: number,
): UfsError | undefined {
  for (let cause = err, depth = 0; cause && depth < 4; cause = (cause as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = cause as { code?: unknown; name?: unknown; message?: unknown };
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return transportError(cause, signals, context, idleTimeoutMs);
    }
    if (name === 'TimeoutError' && typeof message === 'string' && SMITHY_SOCKET_IDLE.test(message)) {
      // Socket idle in either direction: worded as undici's headers timeout, which also covers a stalled body.
      return transportError(
        Object.assign(new Error(message, { cause }), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
        signals,
        context,
        idleTimeoutMs,
      );
    }
  }
  return undefined;
}
