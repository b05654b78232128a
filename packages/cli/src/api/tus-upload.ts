import { createReadStream } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { DefaultHttpStack, Upload, type HttpStack, type UploadOptions } from 'tus-js-client';
import { UfsError, classifyHttpStatus, redactUrl, toUfsError } from '@org/core';
import { READ_BUFFER, localError, openUnchanged } from './file-reads.js';
import { changeOf, fileChangedError, type FileStamp } from './file-stamp.js';

export interface TusUploadOptions {
  /** The server's base URL; uploads are created at `<base>/tus`. */
  base: string;
  headers: Record<string, string>;
  path: string;
  sha256: string;
  size: number;
  /** An upload URL from an earlier, interrupted run: resumed from the offset the server reports. */
  resumeUrl?: string;
  /** Called as soon as the server has created the upload (to remember it for a later run). */
  onUrl?: (url: string) => void;
  onProgress?: (loaded: number, total: number) => void;
  /**
   * Bytes per PATCH request (each streamed from the file). Default: the whole file in one request — the ufs server
   * keeps the bytes of a request cut short, so a break costs nothing more than with chunks, and the server hashes
   * the upload as it arrives instead of reading it again. Chunks suit proxies that limit request bodies.
   */
  chunkSize?: number;
  signal?: AbortSignal;
  /**
   * The file as the scan found it: each request's body is read only from a file that still has this size (and
   * mtime); another fails with INTEGRITY before anything is sent. Without it, the size alone is checked.
   */
  stamp?: FileStamp;
  /** Read the file through a symbolic link (a scan that follows links); else a link in its place is refused. */
  follow?: boolean;
  /**
   * Most milliseconds a request of the upload (POST, HEAD, PATCH) may go without a byte either way, its connection
   * included: then the upload fails with TIMEOUT naming the server (the scan's `--timeout`), without the library's
   * retries, and its URL stays valid for a later run. A PATCH that keeps sending (or a server that keeps answering)
   * never times out, however long the upload takes. Default: no limit.
   */
  timeoutMs?: number;
}

function errorFrom(
  err: Error & { originalResponse?: { getStatus(): number; getBody(): string } | null },
  path: string,
): UfsError {
  const status = err.originalResponse?.getStatus();
  const classified = status ? classifyHttpStatus(status) : undefined;
  const body = err.originalResponse?.getBody()?.slice(0, 300);
  return new UfsError(
    classified?.code ?? 'UNAVAILABLE',
    `[ufs] [server] resumable upload "${path}": ${status ? `HTTP ${status}${body ? `: ${body}` : ''}` : err.message.split('\n')[0]}`,
    {
      cause: err,
      retryable: classified?.retryable ?? true,
      context: { backend: 'server', operation: 'tus', path, ...(status ? { status } : {}) },
    },
  );
}

/**
 * The failure of a request of the upload that the server left without a byte either way for `timeoutMs`: TIMEOUT
 * naming the server, not retried, as DedupClient.noAnswer (a server that did not answer in time is not asked again).
 */
function noAnswer(options: TusUploadOptions, method: string, url: string): UfsError {
  const seconds = Math.round((options.timeoutMs ?? 0) / 1000);
  return new UfsError(
    'TIMEOUT',
    `[ufs] [server] resumable upload "${options.path}": no answer for ${seconds} s to ${method} ${redactUrl(url)} ` +
      '(wait longer with --timeout SECONDS)',
    {
      retryable: false,
      context: { backend: 'server', operation: 'tus', path: options.path, method, url: redactUrl(url) },
    },
  );
}

/**
 * tus-js-client's HTTP stack with an idle deadline on each request: node:http's socket timeout (set before the
 * connection is made, so a server that never accepts counts too; refreshed by every byte sent or received) calls
 * `fail` with TIMEOUT. The library itself has no timeout: a server that stops reading a PATCH, or never answers,
 * would hold the upload for ever.
 */
function idleLimitedStack(options: TusUploadOptions, fail: (error: UfsError) => void): HttpStack {
  const timeoutMs = options.timeoutMs!;
  const stack = new DefaultHttpStack({ timeout: timeoutMs });
  return {
    getName: () => 'ufs idle-limited node:http',
    createRequest(method, url) {
      const request = stack.createRequest(method, url);
      const send = request.send.bind(request);
      request.send = (body: unknown) => {
        const answer = send(body);
        // Made by send() before it returns (the promise's executor runs at once).
        const req = request.getUnderlyingObject() as ClientRequest | null;
        req?.once('timeout', () => fail(noAnswer(options, method, url)));
        return answer;
      };
      return request;
    },
  };
}

/**
 * tus-js-client's view of a file: each request body is a read stream of the byte range asked for, with larger reads
 * than the library's own file source; `size` on the stream gives the request its Content-Length. The file is opened
 * for each request (openUnchanged: a regular file, never blocking, still as it was hashed); a body that ends short
 * of that size (the file was truncated meanwhile), whose file no longer has its stamp once the body is read (it grew,
 * or was rewritten: checked before the body's last bytes are sent, as the other upload paths do) or that cannot be
 * read calls `fail` at once: the library pipes the body into the request without passing its errors on, and the
 * request would wait for the missing bytes for ever.
 */
function fileReader(
  options: TusUploadOptions,
  fail: (error: UfsError) => void,
): NonNullable<UploadOptions['fileReader']> {
  const { path, size } = options;
  return {
    openFile: () =>
      Promise.resolve({
        size,
        slice(start: number, end: number) {
          const last = Math.min(end, size);
          if (last <= start)
            return Promise.resolve({ value: Object.assign(Readable.from([]), { size: 0 }), done: true });
          let fd: number;
          try {
            fd = openUnchanged(path, size, options.stamp, options.follow);
          } catch (err) {
            const error = toUfsError(err);
            fail(error);
            return Promise.reject(error);
          }
          const expected = last - start;
          let count = 0;
          // The chunk read last is held back until the read is over and the file is checked: a file that changed
          // while its bytes were read (a log that grew, a rewrite) fails the upload before the request's last byte
          // is sent, so the server stores nothing of it (the part sent so far is kept for a later resume).
          let held: Buffer | undefined;
          const body = new Transform({
            transform(chunk: Buffer, _enc, done) {
              count += chunk.length;
              const previous = held;
              held = chunk;
              done(null, previous);
            },
            flush(done) {
              const change =
                count === expected
                  ? changeOf(path, options.stamp ?? { size: BigInt(size) })
                  : `${size} bytes when scanned, the read ended at byte ${start + count}`;
              if (!change) return done(null, held);
              const error = fileChangedError(path, change);
              fail(error);
              done(error);
            },
          });
          // Its errors are the upload's through `fail`: the library pipes the body without listening to them.
          body.on('error', () => undefined);
          const source = createReadStream('', { fd, start, end: last - 1, highWaterMark: READ_BUFFER });
          source.once('error', (err) => {
            const error = localError(err, 'upload', path);
            fail(error);
            body.destroy(error);
          });
          source.pipe(body);
          return Promise.resolve({ value: Object.assign(body, { size: expected }), done: last >= size });
        },
        close: () => undefined,
      }),
  };
}

/**
 * A resumable upload with the tus 1.0 protocol (`tus-js-client`): the file is sent in streamed chunks; after a
 * network failure the client asks the server for its offset (`HEAD`) and continues from there, and the upload URL
 * survives the process (`onUrl` / `resumeUrl`) so the next run resumes instead of starting over.
 */
export function tusUpload(options: TusUploadOptions): Promise<void> {
  const { signal } = options;
  const aborted = () => new UfsError('ABORTED', `[ufs] [server] resumable upload "${options.path}": aborted`);
  if (signal?.aborted) return Promise.reject(aborted());
  let onAbort: (() => void) | undefined;
  // The listener goes when the upload settles: a scan's uploads share one signal, and each would otherwise leave one.
  const settled = () => {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  };
  return new Promise<void>((resolve, reject) => {
    // The file failed (changed, gone): the request under way is dropped, the upload fails with the file's error.
    const fail = (error: UfsError) => {
      void upload.abort(false);
      reject(error);
    };
    const upload = new Upload({ path: options.path } as unknown as Buffer, {
      fileReader: fileReader(options, fail),
      ...(options.timeoutMs ? { httpStack: idleLimitedStack(options, fail) } : {}),
      endpoint: `${options.base}/tus`,
      ...(options.resumeUrl ? { uploadUrl: options.resumeUrl } : {}),
      uploadSize: options.size,
      chunkSize: options.chunkSize ?? Number.POSITIVE_INFINITY,
      headers: options.headers,
      metadata: { sha256: options.sha256, filename: basename(options.path) },
      retryDelays: [0, 500, 2000, 5000],
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      onUploadUrlAvailable: () => {
        if (upload.url) options.onUrl?.(upload.url);
      },
      onProgress: (loaded, total) => options.onProgress?.(loaded, total),
      onSuccess: () => resolve(),
      onError: (err) => reject(errorFrom(err as never, options.path)),
    });
    onAbort = () => {
      void upload.abort(false);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    upload.start();
  }).finally(settled);
}
