import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DedupModule } from './dedup.module.js';
import { DEDUP_CONFIG, type DedupConfig, type DedupModuleOptions } from './dedup-options.js';
import { continueOnRead, useClientErrorHandler } from './http/connection.js';
import { tusCorsHook } from './http/cors.js';
import { idleLimitedBody } from './content/request-body.js';
import { useEarlyKeyCheck } from './api-keys/early-key-check.js';
import { bodyPending, sendError } from './http/exception.filter.js';
import { DedupLogger, type LogStream } from './http/logger.js';
import { useJsonBodyParser } from './http/json-body.js';
import { ignoreRequestsAfterClose } from './http/linger.js';
import { setupOpenApi } from './http/openapi.js';
import { MetricsService } from './metrics/metrics.service.js';
import { shutdownTimeout, useGracefulShutdown, type ShutdownOptions } from './shutdown.js';

export interface DedupAppOptions extends DedupModuleOptions, ShutdownOptions {
  /** Largest JSON body (put_file, batches) in bytes; 413 past it. Default 16 MiB. */
  maxJsonBytes?: number;
  /** Nest log levels; default error and warn. */
  logLevels?: LogLevel[];
  /**
   * Where log lines go (Nest's `Logger`, process-wide): `'stderr'` (default), every line; `'split'`, log, warn and debug
   * on stdout and error and fatal on stderr. ANSI colours only on a terminal and without NO_COLOR.
   */
  logStream?: LogStream;
  /** Serve `/docs` and `/openapi.json`. Default true. */
  openApi?: boolean;
}

const STREAMED_TYPES = ['multipart/form-data', 'application/octet-stream', 'application/offset+octet-stream'];

/**
 * Routes whose handlers stream the request body themselves, whatever its Content-Type: the raw content upload (a
 * JSON or text file is content, not a document to parse), the multipart upload (busboy reads the real header) and a
 * tus PATCH (415 for a wrong type, from its handler). Fastify would otherwise parse a JSON, text or form body whole
 * before the handler (which then found the body consumed), or refuse other types itself.
 */
const STREAMED_ROUTES = new Set(['PUT /files/:sha256/content', 'POST /upload_file/:sha256', 'PATCH /tus/:id']);
const isStreamedRoute = (request: FastifyRequest) =>
  STREAMED_ROUTES.has(`${request.method} ${request.routeOptions.url}`);

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Status label of a request whose client went away before its response was sent (nginx's convention). */
const CLIENT_CLOSED = '499';
const COUNTED = Symbol('ufs.counted');

/**
 * Fastify-level wiring that a Nest module cannot declare: the API key of a route that needs one is checked before the
 * request body is read (401 at once), upload bodies are left unread for the handlers to stream,
 * other bodies may stall at most `bodyIdleTimeoutMs` (408), `100 Continue` is sent only when the body is read (an
 * upload's by its handler, after the key, scope, rate and size checks; a JSON body by its parser, after the key
 * check), requests pipelined after an answer that closes the connection are not processed, errors
 * (parse errors and unparsable requests included: this replaces the server's `clientError` listeners, a
 * `clientErrorHandler` the adapter was given too) get the API's JSON body, every request is counted in the metrics
 * (one whose client left before it was processed as status 499), CORS for tus when configured, OpenAPI is served. Call
 * after NestFactory.create and before listen().
 */
export function configureDedupApp(app: NestFastifyApplication, options: { openApi?: boolean } = {}): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  continueOnRead(fastify.server);
  // A request pipelined after an answer that closes the connection (a refused upload) is not processed.
  ignoreRequestsAfterClose(fastify.server);
  useClientErrorHandler(fastify.server);
  useJsonBodyParser(app);
  // The JSON endpoints take JSON only: a body of any other type is 415, naming application/json (before it is read).
  // Fastify parses text/plain bodies into a string by default, which the JSON endpoints then refused as "expected
  // object, received string"; Nest adds a form parser at init (fields accepted on a JSON route: `curl -d name=x`
  // created a key) unless the type was registered through useBodyParser, which it records: registered and removed
  // at once, the form type has no parser, as text/plain has none.
  fastify.removeContentTypeParser('text/plain');
  if (!fastify.hasContentTypeParser(FORM_TYPE)) app.useBodyParser(FORM_TYPE);
  fastify.removeContentTypeParser(FORM_TYPE);
  // The streamed types are read by the upload handlers only; on a JSON endpoint such a body was ignored, the request
  // running as if it had none (a real gc for `{"dry_run":true}` sent as octet-stream).
  fastify.addContentTypeParser(STREAMED_TYPES, (request, _payload, done) =>
    isStreamedRoute(request)
      ? done(null)
      : done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type'])),
  );
  fastify.addHook('onRequest', (request, _reply, done) => {
    // Fastify picks the body parser by `request.headers`, which this overlays (documented Fastify behaviour): the
    // streamed type's parser reads nothing. `request.raw.headers` keeps the Content-Type the client sent.
    if (isStreamedRoute(request)) {
      request.headers = { 'content-type': 'application/octet-stream' };
    }
    done();
  });
  const config = app.get<DedupConfig>(DEDUP_CONFIG, { strict: false });
  // Every other request body (JSON routes: put_file, batches, …) is under the idle limit of the streamed uploads: a
  // body that stalls is answered 408 (or its connection closed) instead of holding the connection and the drain.
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (isStreamedRoute(request) || !bodyPending(request.raw)) return done(null, payload);
    done(null, idleLimitedBody(request.raw, reply.raw, config.bodyIdleTimeoutMs));
  });
  if (config.tusCorsOrigin !== null) fastify.addHook('onRequest', tusCorsHook(config.tusCorsOrigin));
  const metrics = app.get(MetricsService);
  const count = (request: FastifyRequest, status: string, seconds?: number) => {
    const counted = request as FastifyRequest & { [COUNTED]?: true };
    if (counted[COUNTED]) return;
    counted[COUNTED] = true;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.labels(request.method, route, status).inc();
    if (seconds !== undefined) metrics.requestDuration.labels(request.method, route).observe(seconds);
  };
  // A client that leaves mid-request (an abandoned upload) gets no response, so onResponse never runs for it.
  // Fastify's own hook for that, rather than a listener on every response. It also fires when a client closes right
  // after the last byte of an answer (`Connection: close` on a download), before the answer's 'finish': a request
  // whose status line was sent counts with that status (nginx's rule), 499 only for one answered nothing.
  const replies = new WeakMap<FastifyRequest, FastifyReply>();
  fastify.addHook('onRequest', (request, reply, done) => {
    replies.set(request, reply);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    const reply = replies.get(request);
    if (reply?.raw.headersSent) count(request, String(reply.statusCode), reply.elapsedTime / 1000);
    else count(request, CLIENT_CLOSED); // no duration: it did not end with an answer
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    count(request, String(reply.statusCode), reply.elapsedTime / 1000);
    done();
  });
  // The API key of a route that needs one is checked before its body is read (401 at once, nothing parsed).
  useEarlyKeyCheck(app, fastify);
  if (options.openApi !== false) setupOpenApi(app, '0.1.0');
}

/** The dedup API application (Nest on Fastify). */
export type DedupApp = NestFastifyApplication;

/** A ready (not yet listening) Nest application serving the dedup API on Fastify. */
export async function createDedupApp(options: DedupAppOptions): Promise<DedupApp> {
  shutdownTimeout(options); // a bad option fails before anything is opened
  const log = new Logger('ufs.http');
  const adapter = new FastifyAdapter({
    // Errors Fastify raises before routing (malformed URL encoding, …) get the same JSON body too.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => sendError(error, reply, log),
    bodyLimit: options.maxJsonBytes ?? 16 * 1024 * 1024,
    return503OnClosing: true,
    // Keep-alive sockets would hold close() open until they time out.
    forceCloseConnections: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(DedupModule.forRoot(options), adapter, {
    logger: new DedupLogger(options.logStream ?? 'stderr', options.logLevels ?? ['error', 'warn']),
    abortOnError: false,
  });
  configureDedupApp(app, options.openApi === undefined ? {} : { openApi: options.openApi });
  // In place of Nest's shutdown hooks: SIGTERM/SIGINT (and app.close()) let requests under way finish first.
  useGracefulShutdown(app, adapter, options);
  await app.init();
  return app;
}
