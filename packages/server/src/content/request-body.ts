import { IncomingMessage, type ServerResponse } from 'node:http';
import { PassThrough, Readable, type Writable } from 'node:stream';
import busboy from 'busboy';
import { UfsError, isUfsError } from '@org/core';

// Errors are read from the stream by its consumer (async iteration reports `errored`); this only stops an early
// 'error' event from becoming an uncaught exception.
const ignore = (): void => undefined;

export function clientAborted(): UfsError {
  return new UfsError('ABORTED', '[ufs] the client closed the connection before the upload finished');
}

/** The Content-Length of a request body (undefined for other sources, chunked or unparsable lengths). */
export function declaredLength(source: unknown): number | undefined {
  if (!(source instanceof IncomingMessage)) return undefined;
  const header = source.headers['content-length'];
  const length = header === undefined ? NaN : Number(header);
  return Number.isSafeInteger(length) ? length : undefined;
}

/**
 * The request, whose body nothing has read yet. A body read before its handler (parsed by Fastify: the route is
 * missing from configureDedupApp's streamed routes, or the app was not configured by it) would hash as empty and be
 * answered as a mismatch, blaming the client: that is a server fault instead. With `idleMs`, a body that stalls that
 * long has its connection closed (watchBodyIdle).
 */
export function unreadBody(req: IncomingMessage, idleMs?: number): IncomingMessage {
  if (req.readableDidRead || req.readableEnded) {
    throw new UfsError('UNEXPECTED', `[ufs] the body of ${req.method} ${req.url} was read before its handler`);
  }
  if (idleMs !== undefined) watchBodyIdle(req, idleMs);
  return req;
}

/** Default of `bodyIdleTimeoutMs`: a body that sends no byte for this long has its connection closed. */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 90_000;

/**
 * Closes the connection of a request whose body stalls: once no byte of it has arrived for `idleMs` (while the server
 * was waiting for one: while bytes it has not read yet wait in the request, the server is the slow side),
 * the request is destroyed with ABORTED, as when its client goes away: a streamed upload then removes its temporary
 * object, a tus PATCH keeps the bytes that arrived. With `onIdle`, that is called instead (see idleLimitedBody).
 * Stops once the body has ended or the request is gone.
 */
export function watchBodyIdle(req: IncomingMessage, idleMs: number, onIdle?: () => void): void {
  const socket = req.socket as (typeof req.socket & { bytesRead?: number }) | null;
  if (!socket || req.complete || req.destroyed) return;
  let seen = socket.bytesRead ?? 0;
  let since = Date.now();
  const check = setInterval(
    () => {
      if (req.complete || req.destroyed) return clearInterval(check);
      const read = socket.bytesRead ?? 0;
      if (read !== seen || req.readableLength > 0) {
        seen = read;
        since = Date.now();
      } else if (Date.now() - since >= idleMs) {
        clearInterval(check);
        if (onIdle) onIdle();
        else req.destroy(idleAbort(idleMs));
      }
    },
    Math.max(20, Math.min(1000, Math.floor(idleMs / 4))),
  );
  check.unref();
  req.once('end', () => clearInterval(check));
  req.once('close', () => clearInterval(check));
}

/**
 * The body of a request that the server parses whole before its handler (a JSON body: `POST /put_file`, a batch, any
 * JSON route), under the same idle limit as a streamed upload (watchBodyIdle). The request is read only when the
 * returned stream is (a body refused unread, 415, gets no `100 Continue`). Once no byte has arrived for `idleMs`: while
 * the parser reads and no answer has started, the stream fails with TIMEOUT (reason `body-idle`: 408, the connection
 * closed after the answer, the rest of the body unread); otherwise (nothing reads the body, or an answer was sent)
 * the connection is closed.
 */
export function idleLimitedBody(req: IncomingMessage, res: ServerResponse, idleMs: number): Readable {
  const onData = (chunk: Buffer) => {
    if (!body.push(chunk)) req.pause();
  };
  const onEnd = () => body.push(null);
  const onError = (err: Error) => body.destroy(bodyError(req, err) as Error);
  const onClose = () => {
    if (!req.complete) body.destroy(clientAborted());
  };
  let reading = false;
  const body = new Readable({
    read() {
      if (reading) {
        req.resume();
        return;
      }
      reading = true;
      req.on('data', onData);
      req.once('end', onEnd);
      req.on('error', onError);
      req.once('close', onClose);
    },
    destroy(err, callback) {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      callback(err);
    },
  });
  // The parser listens for errors while it reads; a body nothing reads must not throw one.
  body.on('error', ignore);
  watchBodyIdle(req, idleMs, () => {
    if (reading && !body.destroyed && !res.headersSent) body.destroy(bodyIdleError(idleMs));
    else req.destroy(idleAbort(idleMs));
  });
  return body;
}

/** The body stalled for `idleMs` and its connection is closed: ABORTED, as when the client goes away. */
function idleAbort(idleMs: number): UfsError {
  return new UfsError(
    'ABORTED',
    `[ufs] no byte of the request body arrived for ${idleMs / 1000} s (bodyIdleTimeoutMs): the connection was closed`,
  );
}

/** 408 (reason `body-idle`): the request body stalled for `idleMs` before the server could parse it. */
function bodyIdleError(idleMs: number): UfsError {
  return new UfsError(
    'TIMEOUT',
    `[ufs] no byte of the request body arrived for ${idleMs / 1000} s (bodyIdleTimeoutMs): the request was not ` +
      'processed and the connection is closed; send the whole body again',
    { context: { reason: 'body-idle' } },
  );
}

/** A request that ended before its body did is a client that went away: ABORTED, whatever Node called it. */
export function bodyError(source: unknown, err: unknown): unknown {
  return source instanceof IncomingMessage && !source.complete && !(err instanceof UfsError) ? clientAborted() : err;
}

/**
 * Pipes a request body into `into` (true), or returns false when `source` is not a request. Piped, not pipelined:
 * when `into` fails (TOO_LARGE) the request is only unpiped, so its socket stays open for the error response. The
 * client going away, before or during the body, destroys `into` with ABORTED — or, with `endOnAbort` (a tus PATCH,
 * whose received bytes are kept), ends it after the bytes that did arrive.
 */
export function pipeRequest(source: unknown, into: Writable, options: { endOnAbort?: boolean } = {}): boolean {
  if (!(source instanceof IncomingMessage)) return false;
  const fail = (err: unknown) => {
    if (options.endOnAbort && isUfsError(err, 'ABORTED')) {
      // Unpiped first: a piece still buffered in the request must not arrive after the end (it is not counted).
      source.unpipe(into);
      if (!into.writableEnded && !into.destroyed) into.end();
    } else into.destroy(err as Error);
  };
  source.on('error', (err) => fail(bodyError(source, err)));
  source.once('close', () => {
    if (!source.complete) fail(clientAborted());
  });
  if (source.destroyed && !source.complete) fail(clientAborted());
  else source.pipe(into);
  return true;
}

function malformed(err: unknown): UfsError {
  return new UfsError('INVALID_INPUT', `[ufs] malformed multipart body: ${(err as Error).message}`, { cause: err });
}

/** Most parts a multipart upload may have up to and including its `file` part (the parts after it are not counted). */
export const MAX_MULTIPART_PARTS = 32;

/**
 * The stream of the multipart field `field` (PutPlace: `file`), parsed with busboy while it arrives: nothing is
 * buffered. Other fields and file parts (before or after it) are read past and dropped. INVALID_INPUT when the body
 * is not multipart or has no such field; TOO_LARGE (413) when more than MAX_MULTIPART_PARTS parts come before it
 * (busboy would drop the rest unseen, the wanted one among them).
 */
export function multipartFile(req: IncomingMessage, field = 'file'): Promise<Readable> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // No `files` limit: other file parts before the wanted one are drained below, not counted against it. Plain
      // fields are held to the parts limit only (a `file` part without filename= is a field: it must be seen).
      parser = busboy({
        headers: req.headers,
        limits: { fields: MAX_MULTIPART_PARTS, fieldSize: 65_536, parts: MAX_MULTIPART_PARTS },
      });
    } catch (err) {
      reject(
        new UfsError('INVALID_INPUT', '[ufs] expected a multipart/form-data body with a boundary', { cause: err }),
      );
      return;
    }
    let file: Readable | undefined;
    // A part named `field` without `filename=` reaches busboy as a plain field, not a file.
    let noFilename = false;
    parser.on('field', (name) => {
      if (name === field) noFilename = true;
    });
    parser.on('file', (name, stream) => {
      if (name !== field || file) {
        stream.resume();
        return;
      }
      // Busboy fails the file stream with plain errors ("Unexpected end of form"): expose them as INVALID_INPUT.
      const out = new PassThrough();
      out.on('error', ignore);
      stream.on('error', (err) => out.destroy(isUfsError(err) ? err : malformed(err)));
      stream.pipe(out);
      file = out;
      resolve(out);
    });
    const tooMany = () => {
      if (file) return; // parts after the wanted one are dropped anyway
      reject(
        new UfsError(
          'TOO_LARGE',
          `[ufs] a multipart upload may have at most ${MAX_MULTIPART_PARTS} parts up to its "${field}" part, and ` +
            `this one has more before it: send the "${field}" part first`,
        ),
      );
    };
    parser.on('partsLimit', tooMany);
    parser.on('fieldsLimit', tooMany);
    parser.on('error', (err) => {
      const error = malformed(err);
      if (file) file.destroy(error);
      else reject(error);
    });
    parser.on('close', () => {
      if (file) return;
      const problem = noFilename
        ? `the multipart "${field}" part has no filename: send it as a file part ` +
          `(Content-Disposition: form-data; name="${field}"; filename="…")`
        : `multipart body has no "${field}" field`;
      reject(new UfsError('INVALID_INPUT', `[ufs] ${problem}`));
    });
    req.once('close', () => {
      if (req.complete) return;
      const error = clientAborted();
      if (file) file.destroy(error);
      else reject(error);
    });
    req.pipe(parser);
  });
}
