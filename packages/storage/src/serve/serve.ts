import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as contentDisposition } from 'content-disposition';
import { describeContext, UfsError } from '@org/core';
import { countingTransform } from '../util/streams.js';
import { openRead } from '../node/read.js';
import { isStorageNode, type ReadableNode, type SourceStat } from '../virtual/readable-node.js';
import { entityTag, ifRangeAllows, isFresh, preconditionFails, requestedRange } from './conditional.js';
import { errorAnswer } from './status.js';

export interface ServeOptions {
  /** `inline` (default: shown by the browser) or `attachment` (downloaded). */
  disposition?: 'inline' | 'attachment';
  /** File name in Content-Disposition (default: the node's name); non-ASCII names are RFC 5987/8187 encoded. */
  filename?: string;
  /** Default: the stored content type, else the one the name implies. */
  contentType?: string;
  /** Default: the stored Cache-Control, else none. */
  cacheControl?: string;
  /** More response headers (sent on every answer but errors). */
  headers?: OutgoingHttpHeaders;
  /** Sees every failure in full (for a log); the client only gets a status and a code. */
  onError?: (error: UfsError) => void;
}

export interface ServeResult {
  /** The status sent (or that was being sent when the client left). */
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** The client went away before the answer was complete; the source stream was destroyed (never an `error`). */
  aborted: boolean;
  /**
   * What failed (also given to `onError`). Mid-body the response was cut short; `INTEGRITY` says the content changed
   * while it was served: it ended early (cut short), or had more than announced (sent up to Content-Length only).
   */
  error?: UfsError;
}

function validators(node: ReadableNode, stat: SourceStat, options: ServeOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': options.contentType ?? stat.contentType ?? node.mimetype,
    'X-Content-Type-Options': 'nosniff',
    'Accept-Ranges': stat.size === undefined ? 'none' : 'bytes',
  };
  const etag = entityTag(stat);
  if (etag) headers.ETag = etag;
  if (stat.mtime) headers['Last-Modified'] = stat.mtime.toUTCString();
  const cacheControl = options.cacheControl ?? stat.cacheControl;
  if (cacheControl) headers['Cache-Control'] = cacheControl;
  const filename = options.filename ?? node.basename;
  headers['Content-Disposition'] = contentDisposition(filename === '' ? undefined : filename, {
    type: options.disposition ?? 'inline',
  });
  return { ...headers, ...options.headers };
}

/**
 * Answers an HTTP GET or HEAD for a node (a stored file or a virtual node), streaming it: ETag (the backend's or a
 * weak one from size and mtime), Last-Modified, `If-None-Match`/`If-Modified-Since` → 304, `If-Match`/
 * `If-Unmodified-Since` → 412, a single `Range` → 206 with Content-Range (unsatisfiable → 416; invalid or several
 * ranges → 200 whole), `If-Range`, Content-Type, Content-Length, Content-Disposition. A missing node or a folder is
 * 404; other failures get the status of their code and a body naming only the code. The body is exactly the bytes
 * announced, whatever the source does meanwhile (see `ServeResult.error`). When the client disconnects, the source
 * stream is destroyed and the backend read aborted (`aborted: true`).
 */
export async function serveNode(
  node: ReadableNode,
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeOptions = {},
): Promise<ServeResult> {
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  const controller = new AbortController();
  let clientLeft = false;
  const onClose = () => {
    if (res.writableFinished) return;
    clientLeft = true;
    controller.abort(new UfsError('ABORTED', '[ufs] serve: the client disconnected'));
  };
  res.on('close', onClose);
  let status = 200;
  let bytes = 0;
  const fail = (err: unknown): ServeResult => {
    const answer = errorAnswer(err);
    options.onError?.(answer.error);
    if (controller.signal.aborted || res.destroyed) return { status, bytes, aborted: true, error: answer.error };
    status = answer.status;
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(answer.body),
    });
    res.end(head ? undefined : answer.body);
    return { status, bytes, aborted: false, error: answer.error };
  };
  const answer = (code: number, headers: OutgoingHttpHeaders): ServeResult => {
    if (controller.signal.aborted || res.destroyed) return { status, bytes, aborted: true };
    status = code;
    res.writeHead(code, headers);
    res.end();
    return { status, bytes, aborted: false };
  };
  try {
    if (method !== 'GET' && !head) return answer(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
    let stat: SourceStat;
    try {
      stat = await node.stat({ signal: controller.signal });
    } catch (err) {
      return fail(err);
    }
    if (!stat.isFile) return fail(new UfsError('NOT_FOUND', `[ufs] serve "${node.fullpath}": is a folder`));
    const headers = validators(node, stat, options);
    const etag = headers.ETag as string | undefined;
    const lastModified = headers['Last-Modified'] as string | undefined;
    if (preconditionFails(req.headers, etag, stat.mtime)) return answer(412, { 'Content-Length': 0 });
    if (isFresh(req.headers, etag, stat.mtime)) {
      const { 'Content-Type': _type, 'Content-Disposition': _disposition, ...kept } = headers;
      return answer(304, kept);
    }
    let range: { start: number; end: number } | undefined;
    if (stat.size !== undefined && ifRangeAllows(req.headers, etag, lastModified)) {
      const requested = requestedRange(req.headers.range, stat.size);
      if (requested.kind === 'unsatisfiable')
        return answer(416, { 'Content-Range': `bytes */${stat.size}`, 'Content-Length': 0 });
      if (requested.kind === 'single') range = requested;
    }
    if (range) {
      status = 206;
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${stat.size}`;
      headers['Content-Length'] = range.end - range.start + 1;
    } else if (stat.size !== undefined) {
      headers['Content-Length'] = stat.size;
    }
    if (head) return answer(status, headers);
    // The body is exactly what the headers announced: the source is read to its end only when the body reaches the
    // content's end (to notice a file that grew meanwhile), and never more than `length` bytes are sent.
    const length = range ? range.end - range.start + 1 : stat.size;
    const toEnd = stat.size === undefined || (range?.end ?? stat.size - 1) === stat.size - 1;
    const bounds = range ? { start: range.start, ...(toEnd ? {} : { end: range.end }) } : {};
    let stream: Readable;
    try {
      // A stored node's read takes the stat above (a resumed read compares with it) instead of making its own.
      const read = { ...bounds, signal: controller.signal };
      stream = await (isStorageNode(node) ? openRead(node, read, stat) : node.openReadStream(read));
    } catch (err) {
      return fail(err);
    }
    if (controller.signal.aborted || res.destroyed) {
      stream.destroy();
      return { status, bytes, aborted: true };
    }
    // Whichever comes first decides: the source failing (its error, or it ended short), or the client leaving
    // (the source is then destroyed by the pipeline, which may make it emit an error: not a source failure).
    let failure: unknown;
    stream.on('error', (err) => {
      if (!clientLeft) failure ??= err;
    });
    let grew = false;
    const changed = (detail: string): UfsError => {
      const context = { operation: 'serve', path: node.fullpath };
      return new UfsError('INTEGRITY', `${describeContext(context)} the file changed while it was served (${detail})`, {
        context,
        retryable: false,
      });
    };
    async function* bounded(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      let read = 0;
      for await (const chunk of source) {
        const room = length === undefined ? Infinity : length - read;
        if (chunk.byteLength > room) {
          grew = true;
          if (room > 0) yield chunk.subarray(0, room);
          return; // stops the read: the source is destroyed, the response ends at its announced length
        }
        read += chunk.byteLength;
        yield chunk;
      }
      if (length !== undefined && read < length && !clientLeft) {
        failure ??= changed(`it ended after ${read} of the ${length} bytes announced; the response was cut short`);
        throw failure;
      }
    }
    res.writeHead(status, headers);
    try {
      await pipeline(
        stream,
        bounded,
        countingTransform((n) => (bytes += n)),
        res,
      );
    } catch {
      if (failure === undefined) return { status, bytes, aborted: true }; // the client left; the source is destroyed
      // Mid-body: the response is cut short (the client sees a truncated answer, never a wrong one).
      const error = errorAnswer(failure).error;
      options.onError?.(error);
      res.destroy();
      return { status, bytes, aborted: false, error };
    }
    if (grew) {
      const error = changed(`it has more than the ${String(length)} bytes announced; only those were sent`);
      options.onError?.(error);
      return { status, bytes, aborted: false, error };
    }
    return { status, bytes, aborted: false };
  } finally {
    res.off('close', onClose);
  }
}
