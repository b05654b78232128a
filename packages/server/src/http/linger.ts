import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** Most request-body bytes read and dropped after an answer that closes the connection (lingering close). */
export const LINGER_MAX_BYTES = 4 * 1024 * 1024;
/** Longest wait for the rest of a request body after such an answer. */
export const LINGER_MAX_MS = 5_000;
const POLL_MS = 50;

export interface LingerLimits {
  maxBytes: number;
  maxMs: number;
}

const LINGERING = Symbol('ufs.lingering');
const GUARDED = Symbol('ufs.closingGuard');
/** The server events that hand a new request to the application. */
const REQUEST_EVENTS = new Set<string | symbol>(['request', 'checkContinue', 'checkExpectation']);

/**
 * Lingering close, as Apache and nginx do it: an answer sent before the request body was read (a refused upload) goes
 * with `Connection: close`, and Node then closes the socket as soon as the answer is written. The body the client is
 * still sending sits unread in the kernel, which turns that close into a reset; a client that writes its body before
 * it reads (fetch, urllib) sees the reset (`EPIPE`, `ECONNRESET`) rather than the answer. Here the socket is only
 * half-closed once the answer is written (its FIN follows the answer), the rest of the body is read and dropped (by
 * Node's parser, whatever it was piped into before), and the socket is closed when the body is over, the client
 * closes its side, more than `maxBytes` arrived, or `maxMs` passed, whichever comes first. A body far beyond the
 * bound therefore ends as before. A request that follows on the connection (pipelined) is not processed (see
 * ignoreRequestsAfterClose): the answer said the connection closes (RFC 9112 §9.6).
 */
export function lingerAfterAnswer(
  req: IncomingMessage,
  limits: LingerLimits = { maxBytes: LINGER_MAX_BYTES, maxMs: LINGER_MAX_MS },
): void {
  const socket = req.socket as Socket & { [LINGERING]?: true };
  if (!socket || socket.destroyed || socket[LINGERING]) return;
  socket[LINGERING] = true;
  const destroySoon = socket.destroySoon;
  // Node calls destroySoon() on the socket once the answer with `Connection: close` is written.
  socket.destroySoon = function lingeringClose(this: Socket) {
    socket.destroySoon = destroySoon;
    if (req.complete || socket.destroyed || !socket.readable) {
      destroySoon.call(socket);
      return;
    }
    // Whatever still reads the body (a parser the handler piped it into) lets go of it: the rest is dropped unread.
    req.unpipe();
    req.removeAllListeners('data');
    req.resume();
    const start = socket.bytesRead;
    const close = () => {
      clearInterval(poll);
      clearTimeout(deadline);
      req.off('end', close);
      socket.off('end', close);
      socket.destroy();
    };
    // The parser reads straight from the socket's handle (no 'data' events): bytesRead is what arrives.
    const poll = setInterval(() => {
      if (socket.bytesRead - start > limits.maxBytes) close();
    }, POLL_MS);
    const deadline = setTimeout(close, limits.maxMs);
    poll.unref();
    deadline.unref();
    req.once('end', close);
    socket.once('end', close);
    socket.once('close', close);
    if (socket.writable) socket.end();
  };
}

/**
 * Requests that follow, on the same connection, a request answered with a lingering close (lingerAfterAnswer) are not
 * given to the application: that answer said `Connection: close`, after which a server must not process further
 * requests on the connection (RFC 9112 §9.6). Node's parser still reads them while the refused body is drained; each
 * is dropped unanswered, its body read and discarded with the rest, and the connection closes as lingerAfterAnswer
 * says. Without this a pipelined write (`POST /api_keys`) was executed and its answer, a one-time key among them,
 * never sent. Wraps the server's `emit` for the events that start a request (`request`, `checkContinue`,
 * `checkExpectation`); call once per server, before it listens (called again, it wraps once).
 */
export function ignoreRequestsAfterClose(server: Server): void {
  const marked = server as Server & { [GUARDED]?: true };
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function emitUnlessClosing(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (REQUEST_EVENTS.has(event)) {
      const req = args[0] as IncomingMessage;
      if ((req.socket as (Socket & { [LINGERING]?: true }) | null)?.[LINGERING]) {
        req.resume();
        return true;
      }
    }
    return emit.call(this, event, ...args);
  } as Server['emit'];
}
