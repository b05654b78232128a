import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from './error-status.js';

const CONTINUE_WIRED = Symbol('ufs.continueOnRead');

/**
 * `Expect: 100-continue` answered only when a handler starts reading the body, that is after the API key, scope,
 * rate limit and size checks passed: a refused request (401, 403, 413, 429, …) gets its answer without `100
 * Continue`, so its client never sends the body. Node would otherwise write `100 Continue` before any handler runs.
 * The request then goes to the server's ordinary `request` handler (Fastify's). A response sent without `100
 * Continue` closes the connection (Node does so), since the client may send the body after all.
 */
export function continueOnRead(server: Server): void {
  const marked = server as Server & { [CONTINUE_WIRED]?: true };
  if (marked[CONTINUE_WIRED]) return;
  marked[CONTINUE_WIRED] = true;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Every way of reading a Readable (pipe, data events, async iteration, read()) reaches _read first.
    const read = req._read;
    req._read = function (this: IncomingMessage, size: number) {
      req._read = read;
      // Not after a response: Node reads (and drops) the unread body of a finished request on its own.
      if (!res.headersSent && !res.writableEnded && !res.destroyed) res.writeContinue();
      return read.call(this, size);
    };
    server.emit('request', req, res);
  });
}

/** Status, code and text of an error Node's HTTP parser raised (before any route ran). */
function describeClientError(code: string | undefined): { status: number; body: ErrorBody } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        body: { detail: 'the request headers are larger than the server accepts', code: 'TOO_LARGE', retryable: false },
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return {
        status: 408,
        body: { detail: 'the request did not arrive in time', code: 'TIMEOUT', retryable: true },
      };
    default:
      return {
        status: 400,
        body: { detail: 'malformed HTTP request', code: 'INVALID_INPUT', retryable: false },
      };
  }
}

/**
 * The server's `clientError` handler (see useClientErrorHandler): a request Node cannot parse (oversized headers, a
 * malformed request line or header, a timeout) gets the API's error body `{detail, code, retryable}` rather than
 * Fastify's, and the connection is closed (what follows on it cannot be trusted).
 */
export function writeClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node does: answer only when no response on this connection has started (its bytes would be corrupted).
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || (inFlight && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const { status, body } = describeClientError(err.code);
  const text = JSON.stringify(body);
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n`;
  const timer = setTimeout(() => socket.destroy(), 5000);
  timer.unref();
  socket.end(head + text, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/**
 * Makes writeClientError the server's one `clientError` listener, on any Fastify server (whoever made its adapter):
 * the listener Fastify installed when it was created (its default, or a `clientErrorHandler` option) is removed with
 * any other, since Node runs every listener on the same socket and a second answer would garble the first. Nothing
 * depends on how Fastify names or binds its handler. Called again, it still leaves one listener.
 */
export function useClientErrorHandler(server: Server): void {
  server.removeAllListeners('clientError');
  server.on('clientError', writeClientError);
}
