import type { IncomingMessage } from 'node:http';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { UfsError, classifyHttpStatus, isUfsError } from '@org/core';
import type { FastifyReply } from 'fastify';
import { TUS_VERSION } from '../content/tus/tus-headers.js';
import { errorResponse } from './error-status.js';
import { lingerAfterAnswer } from './linger.js';

/** Turns a Nest HttpException (unknown route, …) or a Fastify 4xx into a UfsError with a clear message. */
export function fromHttpException(err: unknown): unknown {
  if (isUfsError(err)) return err;
  const status =
    err instanceof HttpException
      ? err.getStatus()
      : typeof (err as { statusCode?: unknown })?.statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : undefined;
  if (status === undefined || status >= 500) return err;
  const classified = classifyHttpStatus(status) ?? { code: 'INVALID_INPUT' as const, retryable: false };
  const message = describe(err, status);
  // Fastify's own 415 (no parser for the Content-Type) stays a 415, not the 400 of INVALID_INPUT.
  const unsupportedType =
    status === 415 || (err as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? { context: { reason: 'unsupported-media-type' } }
      : {};
  return new UfsError(classified.code, `[ufs] ${message}`, {
    cause: err,
    retryable: classified.retryable,
    ...unsupportedType,
  });
}

function describe(err: unknown, status: number): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return 'unsupported Content-Type for this endpoint: send the JSON body with Content-Type: application/json';
  }
  // Fastify's limit on a path parameter (maxParamLength, 100 characters): its 414 is a 400 INVALID_INPUT here.
  if (code === 'FST_ERR_MAX_PARAM_LENGTH' || status === 414)
    return 'an id or hash in the path is too long (over 100 characters)';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return 'request body is larger than the limit';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'request body is empty but Content-Type is application/json';
  if (typeof code === 'string' && code.startsWith('FST_ERR_CTP_INVALID_JSON')) return 'request body is not valid JSON';
  if (status === 404) return 'no such route';
  const message = err instanceof Error ? err.message : String(err);
  // Only short single-line messages are shown; anything else could carry internals.
  return /^[^\n]{1,200}$/.test(message) ? message : `bad request (HTTP ${status})`;
}

/**
 * True while part of a declared request body has not arrived: a Content-Length above 0 or a chunked body, not yet
 * complete. (`readableEnded` is no test: it stays false for a body nothing read, empty or not.)
 */
export function bodyPending(raw: IncomingMessage): boolean {
  if (raw.complete) return false;
  const length = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

/** Sends the JSON error body of errorResponse(); logs 5xx with the full error (never sent to the client), a busy 503 as a warning. */
export function sendError(err: unknown, reply: FastifyReply, log: Logger): void {
  const { status, body, error } = errorResponse(fromHttpException(err));
  // A busy 503 (content being collected, an upload being finished elsewhere) is the protocol working: no stack.
  if (status >= 500 && error.context.reason === 'busy') log.warn(`${error.code}: ${error.message}`);
  else if (status >= 500)
    log.error(`${error.code}: ${error.message}`, (error.cause as Error | undefined)?.stack ?? error.stack);
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  if (error.retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  if (status === 401) reply.header('www-authenticate', 'X-API-Key');
  if (status === 416 && typeof error.context.size === 'number')
    reply.header('content-range', `bytes */${error.context.size}`);
  if (reply.getHeader('tus-resumable') === undefined && reply.request.url.startsWith('/tus')) {
    reply.header('tus-resumable', TUS_VERSION);
  }
  // tus 1.0: a 412 for an unsupported Tus-Resumable lists the versions the server supports.
  if (error.context.reason === 'tus-version') reply.header('tus-version', TUS_VERSION);
  // A tus PATCH at the wrong offset (409): the upload's offset, to resume from.
  const uploadOffset = error.context.uploadOffset;
  if (typeof uploadOffset === 'number' && Number.isSafeInteger(uploadOffset))
    reply.header('upload-offset', String(uploadOffset));
  // An unread request body (refused upload) must not be parsed as the next request on this connection. A request
  // without a body (a GET) keeps the connection: the requests pipelined after it are answered. The connection is
  // closed only after the rest of the body was read (bounded), so a client still sending it gets the answer.
  // A body that stalled (408, body-idle) is not waited for: the connection closes once the answer is written.
  if (bodyPending(reply.request.raw)) {
    reply.header('connection', 'close');
    if (error.context.reason !== 'body-idle') lingerAfterAnswer(reply.request.raw);
  }
  void reply.status(status).type('application/json; charset=utf-8').send(body);
}

/** Global Nest filter: every error leaves as `{detail, code, retryable}` with the status of its code. */
@Catch()
export class DedupExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('ufs.http');

  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(exception, host.switchToHttp().getResponse<FastifyReply>(), this.log);
  }
}
