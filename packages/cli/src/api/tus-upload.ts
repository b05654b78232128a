import { createReadStream } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { DefaultHttpStack, Upload, type HttpStack, type UploadOptions } from 'tus-js-client';
import { UfsError, classifyHttpStatus, redactUrl, toUfsError } from '@org/core';
import { READ_BUFFER, localError, openUnchanged } from './file-reads.js';
import { httpCall } from './http-call.js';
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
   * Called each time the server confirms holding more of the upload (a PATCH's answer, or the offset a HEAD reported
   * before the next PATCH), with the bytes of it that this call sent: what a scan counts as sent for an upload that
   * Ctrl-C or a failure then cuts short (the server keeps them, and a later run continues after them).
   */
  onSent?: (bytes: number) => void;
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
  /**
   * After `signal` aborts the upload (Ctrl-C), how long the server may be asked (tus HEAD) for the offset it holds of
   * a request cut mid-body: what it holds beyond the offset this call began at is told to `onSent`, as the server keeps
   * it (a single PATCH, the default, confirms nothing before its end). No answer within it: `onSent` has what was
   * confirmed before. Default 0: not asked. A scan gives its stop grace (STOP_GRACE_MS).
   */
  stopGraceMs?: number;
  /** Read the file through a symbolic link (a scan that follows links); else a link in its place is refused. */
  follow?: boolean;
  /**
   * Most milliseconds a request of the upload (POST, HEAD, PATCH) may go without a byte either way, its connection
   * included: then the upload fails with TIMEOUT naming the server (the scan's `--timeout`), without the library's
   * retries, and its URL stays valid for a later run. A PATCH that keeps sending (or a server that keeps answering)
   * never times out, however long the upload takes. After the last byte, the server's silence while it verifies and
   * commits the upload is idle too, unless the server says (to a HEAD of the upload, sent after half this limit) that
   * it is finishing it: then it is waited for, and asked again (see idleLimitedStack), up to FINISH_WAIT_FACTOR times
   * this limit after the last byte. Default: no limit.
   */
  timeoutMs?: number;
}

/** What the upload was doing when tus-js-client's request failed, by its message (DetailedError). */
const STAGES: Array<[RegExp, string]> = [
  [/^tus: failed to create upload/, 'creating the upload of'],
  [/^tus: failed to resume upload/, 'resuming the upload of'],
  [/^tus: failed to upload chunk/, 'sending the upload of'],
  [/^tus: failed to terminate upload/, 'ending the upload of'],
];

type TusError = Error & {
  originalRequest?: { getMethod(): string; getURL(): string } | null;
  originalResponse?: { getStatus(): number; getBody(): string } | null;
  causingError?: unknown;
};

/**
 * A failure tus-js-client reported, in our words: an HTTP answer as its status and body; a request that got no answer
 * (the connection refused, reset or closed: a server killed or restarting) as `connection lost to <server> while
 * resuming the upload of "<file>"`, UNAVAILABLE and retryable (a later scan continues the upload from the server's
 * offset), the library's own message (`tus: …, caused by …, originated from request (…)`) left to the cause.
 */
function errorFrom(err: TusError, options: TusUploadOptions): UfsError {
  const { path } = options;
  const status = err.originalResponse?.getStatus();
  const classified = status ? classifyHttpStatus(status) : undefined;
  const body = err.originalResponse?.getBody()?.slice(0, 300);
  const context = { backend: 'server', operation: 'tus', path, ...(status ? { status } : {}) };
  const request = err.originalRequest;
  const stage = STAGES.find(([pattern]) => pattern.test(err.message))?.[1];
  if (!status && request && stage) {
    const server = redactUrl(options.base);
    const cause = toUfsError(err.causingError ?? err);
    // The cause's own words (`socket hang up`, `connection refused`), without the prefix toUfsError gives them.
    const why = cause.message.replace(/^(\[[^\]]*\]\s*)+/, '').split('\n')[0];
    return new UfsError(
      'UNAVAILABLE',
      `[ufs] [server] connection lost to ${server} while ${stage} "${path}" (${request.getMethod()}: ${why}); ` +
        'scan again to continue it',
      {
        cause: err,
        retryable: true,
        context: { ...context, server, method: request.getMethod(), url: redactUrl(request.getURL()) },
      },
    );
  }
  return new UfsError(
    classified?.code ?? 'UNAVAILABLE',
    `[ufs] [server] resumable upload "${path}": ${status ? `HTTP ${status}${body ? `: ${body}` : ''}` : err.message.split('\n')[0]}`,
    { cause: err, retryable: classified?.retryable ?? true, context },
  );
}

/**
 * The failure of a request of the upload that the server left without a byte either way for `timeoutMs`: TIMEOUT
 * naming the server, retryable (a later scan continues the upload) but not retried here, as DedupClient.noAnswer (a
 * server that did not answer in time is not asked again).
 */
function noAnswer(options: TusUploadOptions, method: string, url: string): UfsError {
  const seconds = Math.round((options.timeoutMs ?? 0) / 1000);
  return new UfsError(
    'TIMEOUT',
    `[ufs] [server] resumable upload "${options.path}": no answer for ${seconds} s to ${method} ${redactUrl(url)} ` +
      '(wait longer with --timeout SECONDS)',
    {
      retryable: true,
      context: {
        backend: 'server',
        operation: 'tus',
        path: options.path,
        method,
        url: redactUrl(url),
        timeout: seconds,
      },
    },
  );
}

/**
 * The longest wait for a server that keeps saying it is finishing an upload (503 with Retry-After to each HEAD), in
 * multiples of `timeoutMs`, from the last byte: ten times the scan's --timeout (10 minutes by default). A finish takes
 * long for a large file, not for ever: a server stuck there fails that upload alone, retryable (see finishNeverEnded).
 */
const FINISH_WAIT_FACTOR = 10;

/**
 * The failure of an upload whose server said it was finishing it for longer than FINISH_WAIT_FACTOR × `timeoutMs`:
 * TIMEOUT, retryable (its URL stays valid: a later run asks again), and `context.stage` 'finish' (the server answers,
 * so it is this upload's failure alone, not one that stops a scan).
 */
function finishNeverEnded(options: TusUploadOptions, url: string): UfsError {
  const seconds = Math.round(((options.timeoutMs ?? 0) * FINISH_WAIT_FACTOR) / 1000);
  return new UfsError(
    'TIMEOUT',
    `[ufs] [server] resumable upload "${options.path}": the server still said it was finishing the upload (503 with ` +
      `Retry-After) ${seconds} s after its last byte, the longest a scan waits (${FINISH_WAIT_FACTOR} times --timeout); ` +
      'scan again later',
    {
      retryable: true,
      context: { backend: 'server', operation: 'tus', path: options.path, url: redactUrl(url), stage: 'finish' },
    },
  );
}

/**
 * What the server says of an upload whose last PATCH it has not answered (a HEAD of it, on a connection of its own):
 * `finishing` when it answers 503 with Retry-After (the ufs server: another request, the PATCH, is verifying and
 * committing it), `finished` when it reports every byte (Upload-Offset = Upload-Length), else `unknown` (another
 * answer, none within `ms`, or the HEAD failed).
 */
async function finishState(
  options: TusUploadOptions,
  url: string,
  ms: number,
  stop: AbortSignal,
): Promise<'finishing' | 'finished' | 'unknown'> {
  // A timer of its own rather than AbortSignal.any/timeout (on Node 20 a combined signal may be collected unfired).
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), ms);
  const onStop = () => limit.abort();
  stop.addEventListener('abort', onStop, { once: true });
  try {
    const answer = await httpCall(url, {
      method: 'HEAD',
      headers: { ...options.headers, 'tus-resumable': '1.0.0' },
      signal: limit.signal,
    });
    if (answer.status === 503 && answer.headers['retry-after'] !== undefined) return 'finishing';
    const offset = answer.headers['upload-offset'];
    const ok = answer.status === 200 || answer.status === 204;
    return ok && offset === String(options.size) && answer.headers['upload-length'] === offset ? 'finished' : 'unknown';
  } catch {
    return 'unknown';
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

/**
 * The offset the server holds of an upload (tus HEAD, on a connection of its own): its Upload-Offset when it answers
 * 200/204 within `ms`, else undefined (another answer — 503 while it still records a cut request —, none, a failure).
 */
async function heldOffset(options: TusUploadOptions, url: string, ms: number): Promise<number | undefined> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), ms);
  try {
    const answer = await httpCall(url, {
      method: 'HEAD',
      headers: { ...options.headers, 'tus-resumable': '1.0.0' },
      signal: limit.signal,
    });
    const offset = Number(answer.headers['upload-offset']);
    const ok = (answer.status === 200 || answer.status === 204) && Number.isSafeInteger(offset) && offset >= 0;
    return ok ? Math.min(offset, options.size) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * tus-js-client's HTTP stack with an idle deadline on each request: node:http's socket timeout (set before the
 * connection is made, so a server that never accepts counts too; refreshed by every byte sent or received) calls
 * `fail` with TIMEOUT. The library itself has no timeout: a server that stops reading a PATCH, or never answers,
 * would hold the upload for ever.
 *
 * The PATCH that carries the upload's last byte is different once that byte is sent (handed to the socket): the
 * server then verifies the upload and commits its content before it answers, silent for as long as that takes (long
 * for a large file). What counts as idle there: after half the limit without an answer, the upload is asked about
 * (HEAD, on another connection): a server that says it is finishing it (503 with Retry-After, as the ufs server
 * answers while another request holds the upload) is alive, and the wait starts again from that answer (up to
 * FINISH_WAIT_FACTOR times the limit after the last byte: then the upload fails, see finishNeverEnded); one that
 * reports every byte held (Upload-Offset = Upload-Length) has finished it, and `succeed` is called; any other answer,
 * or none, leaves the PATCH the rest of its limit, and then it fails with TIMEOUT as any request does: the limit after
 * the last byte (or after the server's last "finishing"), not twice it.
 */
function idleLimitedStack(
  options: TusUploadOptions,
  fail: (error: UfsError) => void,
  succeed: () => void,
  allHeld: () => void,
): HttpStack {
  const timeoutMs = options.timeoutMs!;
  const half = Math.ceil(timeoutMs / 2);
  const stack = new DefaultHttpStack({ timeout: timeoutMs });
  /**
   * The last PATCH, its body sent: waits while the server says it is finishing the upload (see above). Its own timer,
   * not the socket's: node:http passes only a socket's first timeout on to the request.
   */
  const awaitFinish = (req: ClientRequest, method: string, url: string) => {
    let lastLife = Date.now();
    const giveUpAt = lastLife + FINISH_WAIT_FACTOR * timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // Aborted once the PATCH is answered or gone: the wait (and a HEAD under way) ends.
    const over = new AbortController();
    const end = () => {
      over.abort();
      clearTimeout(timer);
    };
    // The server said it was finishing the upload: it holds every byte (a later run finds the upload done).
    const finishFailed = () => {
      allHeld();
      fail(finishNeverEnded(options, url));
    };
    const check = () => {
      const left = lastLife + timeoutMs - Date.now();
      if (left <= 0) return fail(noAnswer(options, method, url));
      if (Date.now() >= giveUpAt) return finishFailed();
      void finishState(options, url, left, over.signal).then((state) => {
        if (over.signal.aborted) return;
        if (state === 'finished') return succeed();
        if (state === 'finishing') {
          lastLife = Date.now();
          const cap = giveUpAt - lastLife;
          if (cap <= 0) return finishFailed();
          timer = setTimeout(check, Math.min(half, cap));
          return;
        }
        // No sign of a finish: the PATCH has the rest of its limit to answer.
        timer = setTimeout(() => fail(noAnswer(options, method, url)), Math.max(0, lastLife + timeoutMs - Date.now()));
      });
    };
    req.setTimeout(0);
    timer = setTimeout(check, half);
    req.once('response', () => {
      end();
      // An answer under way: its bytes are waited for as any request's.
      req.setTimeout(timeoutMs);
    });
    req.once('close', end);
  };
  return {
    getName: () => 'ufs idle-limited node:http',
    createRequest(method, url) {
      const request = stack.createRequest(method, url);
      const send = request.send.bind(request);
      request.send = (body: unknown) => {
        const answer = send(body);
        // Made by send() before it returns (the promise's executor runs at once).
        const req = request.getUnderlyingObject() as ClientRequest | null;
        const bodySize = (body as { size?: number } | null)?.size ?? 0;
        const last = method === 'PATCH' && Number(request.getHeader('Upload-Offset')) + bodySize >= options.size;
        req?.once('timeout', () => fail(noAnswer(options, method, url)));
        if (last) req?.once('finish', () => awaitFinish(req, method, url));
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
  onSlice: (start: number) => void,
): NonNullable<UploadOptions['fileReader']> {
  const { path, size } = options;
  return {
    openFile: () =>
      Promise.resolve({
        size,
        slice(start: number, end: number) {
          const last = Math.min(end, size);
          onSlice(start);
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
 * survives the process (`onUrl` / `resumeUrl`) so the next run resumes instead of starting over. Resolves with the
 * bytes this call sent: the file's size less the offset its first request began at (what the server held already,
 * from an earlier run, is not sent again), 0 when the server held every byte.
 */
export function tusUpload(options: TusUploadOptions): Promise<number> {
  const { signal } = options;
  const aborted = () => new UfsError('ABORTED', `[ufs] [server] resumable upload "${options.path}": aborted`);
  if (signal?.aborted) return Promise.reject(aborted());
  let onAbort: (() => void) | undefined;
  // The listener goes when the upload settles: a scan's uploads share one signal, and each would otherwise leave one.
  const settled = () => {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  };
  // The offset of the first request's body: the bytes below it were on the server before this call.
  let firstStart: number | undefined;
  // The highest offset the server confirmed holding (a PATCH's answer, a HEAD's offset that the next body starts at).
  let confirmed = 0;
  const onConfirmed = (offset: number) => {
    if (offset <= confirmed) return;
    confirmed = offset;
    if (firstStart !== undefined && confirmed > firstStart) options.onSent?.(confirmed - firstStart);
  };
  return new Promise<number>((resolve, reject) => {
    // The file failed (changed, gone): the request under way is dropped, the upload fails with the file's error.
    const fail = (error: UfsError) => {
      void upload.abort(false);
      reject(error);
    };
    // The server reported every byte held while the last PATCH's answer was still awaited: that request is dropped.
    const succeed = () => {
      void upload.abort(false);
      options.onProgress?.(options.size, options.size);
      resolve(firstStart === undefined ? 0 : options.size - firstStart);
    };
    const upload = new Upload({ path: options.path } as unknown as Buffer, {
      fileReader: fileReader(options, fail, (start) => {
        firstStart ??= start;
        onConfirmed(start);
      }),
      ...(options.timeoutMs
        ? { httpStack: idleLimitedStack(options, fail, succeed, () => onConfirmed(options.size)) }
        : {}),
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
      onChunkComplete: (_chunk, accepted) => onConfirmed(accepted),
      onSuccess: () => resolve(firstStart === undefined ? 0 : options.size - firstStart),
      onError: (err) => reject(errorFrom(err as TusError, options)),
    });
    onAbort = () => {
      const grace = options.stopGraceMs ?? 0;
      const askedAt = Date.now();
      void upload
        .abort(false)
        .catch(() => undefined)
        // A request cut mid-body confirmed nothing (one PATCH, the default, is confirmed only at its end): the server
        // keeps what arrived, so it is asked, within the stop grace, what it holds. It may not have seen the cut yet
        // (it answers the offset before the request, or 503 while it records it): asked again until it holds more.
        .then(async () => {
          const url = upload.url;
          if (!url || firstStart === undefined) return;
          for (let left = grace; left > 0; left = grace - (Date.now() - askedAt)) {
            const offset = await heldOffset(options, url, left);
            if (offset !== undefined && offset > confirmed) return onConfirmed(offset);
            await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(0, left))));
          }
        })
        .finally(() => reject(aborted()));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    upload.start();
  }).finally(settled);
}
