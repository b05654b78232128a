import { closeSync, createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  UfsError,
  describeContext,
  httpError,
  isUfsError,
  notTlsError,
  redactUrl,
  retry,
  toUfsError,
  type FileMetadataInput,
  type RetryPolicy,
} from '@org/core';
import {
  badAnswer,
  checkBatch,
  checkCatalogue,
  checkResult,
  type BatchResult,
  type Catalogue,
  type RevisionStep,
} from './dedup-answers.js';
import { READ_BUFFER, localError, openUnchanged, readSmall } from './file-reads.js';
import { changeOf, fileChangedError, type FileStamp } from './file-stamp.js';
import { httpCall, type HttpAnswer } from './http-call.js';

export interface ServerTarget {
  url: string;
  apiKey?: string;
}

export type { BatchResult, Catalogue, RevisionStep } from './dedup-answers.js';

/** Retries of idempotent or dedup-safe requests. */
export const RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 300, maxDelayMs: 5000 };

/**
 * Files up to this size are uploaded from one blocking read, sent with one write: a read stream costs several
 * thread-pool round trips and stream stages per file, which for a first scan of many small files took more CPU than
 * sending the bytes. Memory stays bounded by this size per upload; larger files are streamed.
 */
export const SMALL_UPLOAD = 1024 * 1024;

/**
 * A file name as the `filename="…"` of a multipart part header: the bytes every multipart parser takes. Control
 * characters (busboy refuses a part header holding one: "Malformed part header"), `"` and backslashes are
 * percent-encoded, as browsers write CR, LF and `"` there. The server reads the content by its hash (and ignores the
 * name): the name is only informational.
 */
export function multipartFilename(name: string): string {
  return name.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f"\\]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads an error body (`{"detail": …}` or text) for the message, bounded. */
async function detailOf(text: string): Promise<string> {
  try {
    const body = JSON.parse(text) as { detail?: unknown; message?: unknown };
    const detail = body.detail ?? body.message;
    if (typeof detail === 'string') return detail;
    if (detail !== undefined) return JSON.stringify(detail).slice(0, 500);
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
}

/**
 * An `https://` server address where the server answers in plain HTTP: OpenSSL's `wrong version number` (EPROTO)
 * is a configuration error (78) saying so, not a raw TLS error (70). Undefined for any other failure. (Core's
 * `notTlsError`, shared with the upload providers, worded for the `--server` flag.)
 */
export function notTls(err: unknown, base: string, context: Record<string, unknown>): UfsError | undefined {
  return notTlsError(err, base, context, (plain) => `try --server ${plain}`);
}

/**
 * The `record` field of an error body (a ufs server refusing a batch because of one record: that record's index), as
 * error context (`bodyRecord`); nothing when the body has none (PutPlace, older ufs servers).
 */
function recordField(text: string): { bodyRecord?: number } {
  try {
    const record = (JSON.parse(text) as { record?: unknown } | null)?.record;
    return typeof record === 'number' && Number.isSafeInteger(record) && record >= 0 ? { bodyRecord: record } : {};
  } catch {
    return {};
  }
}

/**
 * A 400 to `GET /catalogue?hostname=` whose answer names `hostname` as a parameter it does not know, as ufs servers
 * before catalogue revisions answer (`invalid query: unknown query parameter "hostname"`); a refusal of its value
 * (or of anything else) is not one.
 */
function refusesHostname(error: UfsError): boolean {
  if (error.context.status !== 400) return false;
  const detail = /HTTP 400: (.*)$/s.exec(error.message)?.[1] ?? '';
  return UNKNOWN_HOSTNAME.some((words) => words.test(detail));
}

/** How servers word a parameter they do not know: `unknown query parameter "hostname"`, `"hostname" is not allowed`. */
const UNKNOWN_HOSTNAME = [
  /\b(unknown|unrecogni[sz]ed|unexpected|unsupported|not allowed)\b[^;]*\bhostname\b/i,
  /\bhostname\b\W*(is )?not allowed/i,
];

/** Statuses with which a server refuses a record it finds invalid (PutPlace answers 422, ufs 400). */
const REFUSED_RECORD = new Set([400, 422]);

/** The error, saying that record `index` (of the records sent) is the one refused, and why. */
function recordAt(error: UfsError, index: number, reason: string): UfsError {
  return new UfsError(error.code, error.message, {
    retryable: false,
    cause: error.cause,
    context: { ...error.context, record: index, reason },
  });
}

/**
 * A batch refused because of one record: the ufs server answers `{"detail": "invalid record files[3]: filepath: …",
 * "record": 3}` (the first bad record); servers before the `record` field name it only in the message, which is read
 * then. The error then carries the record's index and the server's reason; others pass unchanged.
 */
function withRecord(error: UfsError, count: number): UfsError {
  if (!REFUSED_RECORD.has(error.context.status as number)) return error;
  const named = /\bfiles\[(\d+)\](?::\s*)?(.*)$/s.exec(error.message);
  const field = error.context.bodyRecord;
  const index = typeof field === 'number' ? field : named ? Number(named[1]) : NaN;
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) return error;
  // The reason: what the message says after `files[i]:`, else the server's whole detail.
  const reason = named && Number(named[1]) === index ? named[2]?.trim() : undefined;
  return recordAt(error, index, reason || (/HTTP \d{3}: (.*)$/s.exec(error.message)?.[1] ?? error.message));
}

/**
 * Which record (its index in the records sent) a server refused, and why, when an error of putFiles is about one
 * record; undefined when it is about the batch.
 */
export function refusedRecord(error: UfsError): { index: number; reason: string } | undefined {
  const { record, reason } = error.context;
  if (typeof record !== 'number') return undefined;
  return { index: record, reason: typeof reason === 'string' ? reason : error.message };
}

/**
 * A client of the dedup server's HTTP API (the PutPlace API plus ufs's batch, tus and admin endpoints). Every
 * failure is a UfsError: HTTP statuses through the core classification, network errors as UNAVAILABLE/TIMEOUT.
 */
export class DedupClient {
  readonly base: string;
  /** The server's address as messages show it (core's redactUrl: no `user:password@`, no secret query values). */
  readonly shown: string;
  batchSupported: boolean | undefined;
  /**
   * Told of every batch of records the server took (checked), with how it moved the catalogue revisions
   * (`undefined`: the answer had none, or the records went one by one with put_file). Set by the scan's memory of
   * sent records (openSentRecords).
   */
  onRevisions?: (records: readonly FileMetadataInput[], revisions: Record<string, RevisionStep> | undefined) => void;

  constructor(
    readonly target: ServerTarget,
    private readonly options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ) {
    this.base = target.url.replace(/\/+$/, '');
    this.shown = redactUrl(this.base);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.target.apiKey ? { 'x-api-key': this.target.apiKey } : {}), ...extra };
  }

  /** One JSON request with retries on transient failures (only for idempotent or dedup-safe calls). */
  async json<T>(method: string, path: string, body?: unknown, policy: RetryPolicy = RETRY): Promise<T> {
    const url = `${this.base}${path}`;
    const context = { backend: 'server', operation: `${method} ${path.split('?')[0]}`, path: this.shown };
    return retry(
      async () => {
        let answer: HttpAnswer;
        try {
          const signals = [
            this.options.signal,
            this.options.timeoutMs ? AbortSignal.timeout(this.options.timeoutMs) : undefined,
          ];
          const active = signals.filter((s): s is AbortSignal => s !== undefined);
          answer = await httpCall(url, {
            method,
            headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            ...(active.length ? { signal: active.length === 1 ? active[0]! : AbortSignal.any(active) } : {}),
          });
        } catch (err) {
          // Our deadline (AbortSignal.timeout of `timeoutMs`), not a stop (the signal) or a timeout of the system.
          if ((err as { name?: unknown } | undefined)?.name === 'TimeoutError' && !this.options.signal?.aborted)
            throw this.noAnswer(method, path, err);
          throw notTls(err, this.base, context) ?? toUfsError(err, context);
        }
        const { status, text } = answer;
        const location = headerValue(answer.headers.location);
        if (status >= 300 && status < 400 && location) {
          // Not followed (a POST would turn into a GET): the address is wrong, and the answer says which is right.
          throw new UfsError(
            'CONFIG_INVALID',
            `[ufs] [server] ${method} ${path.split('?')[0]}: ${this.shown} redirects (${status}) to ${redactUrl(location)}: give the address it moved to as --server`,
            { context: { ...context, status } },
          );
        }
        if (status < 200 || status >= 300) {
          const where = { ...context, ...recordField(text) };
          throw httpError(status, await detailOf(text), where, headerValue(answer.headers['retry-after']));
        }
        try {
          return (text ? JSON.parse(text) : undefined) as T;
        } catch (err) {
          throw new UfsError('UNEXPECTED', `${describeContext(context)} the answer is not JSON`, {
            cause: err,
            context,
          });
        }
      },
      {
        ...policy,
        retryOn: (error, attempt) => retriedHere(error) && (policy.retryOn?.(error, attempt) ?? true),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      },
    );
  }

  /**
   * The server's catalogue epoch (`GET /catalogue`, any key with the read or write scope): it changes whenever the
   * server may have lost a record or a content. Undefined when the server has no such endpoint (a plain PutPlace
   * server, an older ufs). A wrong key fails here (401), like any request.
   */
  async catalogueEpoch(): Promise<string | undefined> {
    return (await this.catalogue())?.epoch;
  }

  /**
   * The catalogue epoch and, with `hostname`, that host's catalogue revision (`GET /catalogue?hostname=`): it
   * changes with every write of the host's records, by any client. No revision from a server that keeps none (an
   * older ufs). Undefined when the server has no such endpoint; an answer of another shape fails (badAnswer).
   */
  async catalogue(hostname?: string): Promise<Catalogue | undefined> {
    const query = hostname === undefined ? '' : `?${new URLSearchParams({ hostname }).toString()}`;
    let answer: unknown;
    try {
      answer = await this.json<unknown>('GET', `/catalogue${query}`);
    } catch (err) {
      const error = toUfsError(err);
      if (error.context.status === 404 || error.context.status === 405) return undefined;
      // An older ufs server (epochs, no revisions) refuses the parameter: asked again without it, trusted by its
      // epoch alone (no revision, as from a server that answers without one).
      if (hostname !== undefined && refusesHostname(error)) {
        const plain = await this.catalogue();
        return plain && { epoch: plain.epoch };
      }
      throw error;
    }
    return checkCatalogue(this.shown, answer);
  }

  /**
   * Sends metadata records in one batch (`POST /put_files`); a server without the batch endpoint (plain PutPlace)
   * gets one `POST /put_file` per record instead. When the server refuses one record (400 or 422 with `record: i`
   * in the body or `files[i]` in the message, or the `put_file` of that record), the error says which in
   * `context.record` (see refusedRecord).
   */
  async putFiles(records: readonly FileMetadataInput[]): Promise<BatchResult> {
    if (this.batchSupported !== false) {
      try {
        const answer = await this.json<unknown>('POST', '/put_files', { files: records });
        this.batchSupported = true;
        // Checked before anything is counted or remembered: a 200 of another shape fails the batch.
        const result = checkBatch(this.shown, records, answer);
        this.onRevisions?.(records, result.catalogue_revisions);
        return result;
      } catch (err) {
        const error = toUfsError(err);
        const status = error.context.status;
        if (this.batchSupported === true || (status !== 404 && status !== 405)) throw withRecord(error, records.length);
        this.batchSupported = false;
      }
    }
    const results: BatchResult['results'] = [];
    for (const [i, record] of records.entries()) {
      let r: { hostname: string; filepath: string; sha256: string; upload_required: boolean };
      try {
        r = await this.json('POST', '/put_file', record);
      } catch (err) {
        const error = toUfsError(err);
        if (!REFUSED_RECORD.has(error.context.status as number)) throw error;
        throw recordAt(error, i, /HTTP \d{3}: (.*)$/s.exec(error.message)?.[1] ?? error.message);
      }
      checkResult((problem) => badAnswer(this.shown, 'POST /put_file', problem), 'the answer', r, record, false);
      results.push({
        hostname: r.hostname,
        filepath: r.filepath,
        sha256: r.sha256,
        upload_required: r.upload_required,
      });
    }
    this.onRevisions?.(records, undefined);
    return { results, upload_required: [...new Set(results.filter((r) => r.upload_required).map((r) => r.sha256))] };
  }

  /**
   * Uploads content with `POST /upload_file/{sha256}?hostname=&filepath=` (multipart field `file`) with an exact
   * Content-Length: streamed from the file, or for a small file (SMALL_UPLOAD) read at once; retried on transient
   * failures (the file is opened again each time). Exactly `size` bytes are sent: a file that changed since it was
   * hashed (another size, or with `stamp` another mtime) fails with INTEGRITY before the request is complete, so
   * the server stores nothing. The file is opened (openRegular: a regular file, never blocking; `follow`: through a
   * link) before the request starts; a local failure (the file is gone: NOT_FOUND, or unreadable) is reported as the
   * file's, never as the server's, even when it breaks a request under way. A server that stops answering for
   * `timeoutMs` fails with TIMEOUT. `stop` (the scan's Ctrl-C, when the client's signal aborts later: a grace) ends a
   * request still sending its body at once, and starts no attempt; one whose body is sent waits for its answer until
   * the client's signal aborts (the server may have stored the content: its answer says so).
   */
  async uploadFile(
    sha256: string,
    path: string,
    size: number,
    record: { hostname: string; filepath: string },
    onProgress?: (loaded: number) => void,
    stamp?: FileStamp,
    follow = false,
    stop?: AbortSignal,
  ): Promise<void> {
    const query = new URLSearchParams(record).toString();
    const url = new URL(`${this.base}/upload_file/${sha256}?${query}`);
    const boundary = `----ufs${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
    const name = multipartFilename(basename(path));
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const context = { backend: 'server', operation: 'upload', path };
    const { timeoutMs } = this.options;
    await retry(
      async () => {
        if (stop?.aborted) throw new UfsError('ABORTED', `${describeContext(context)} aborted`, { context });
        // Read (or opened) before the request: a file that changed, or is gone, fails without sending anything.
        const bytes = size <= SMALL_UPLOAD ? readSmall(path, size, stamp, follow) : undefined;
        const fd = bytes ? undefined : openUnchanged(path, size, stamp, follow);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        let req;
        try {
          req = send(url, {
            method: 'POST',
            headers: this.headers({
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': String(head.length + size + tail.length),
            }),
            ...(this.options.signal ? { signal: this.options.signal } : {}),
          });
        } catch (err) {
          if (fd !== undefined) closeSync(fd);
          throw toUfsError(err, context);
        }
        const request = req;
        // The stop ends the request while its body is being sent (the server stores nothing of an incomplete body);
        // once the body is sent, the answer is waited for (until the client's own signal aborts it).
        const onStop = () => {
          if (!request.writableFinished)
            request.destroy(new UfsError('ABORTED', `${describeContext(context)} aborted`, { context }));
        };
        stop?.addEventListener('abort', onStop, { once: true });
        if (timeoutMs) {
          // No byte either way for that long: the server is not answering.
          request.setTimeout(timeoutMs, () => request.destroy(this.uploadUnanswered(path, sha256)));
        }
        const answered = new Promise<IncomingMessage>((resolve, reject) => {
          request.once('response', resolve);
          request.once('error', reject);
        });
        // Not awaited when the body fails first (a file that changed): its rejection is that failure's.
        answered.catch(() => undefined);
        // A failure to read the file: it wins over the request's own error (the socket reset it causes).
        let readFailure: UfsError | undefined;
        try {
          if (bytes) {
            // corked: head, bytes and tail leave in one writev
            request.cork();
            request.write(head);
            request.write(bytes);
            request.end(tail);
            onProgress?.(size);
          } else {
            let loaded = 0;
            const counter = new Transform({
              transform(chunk: Buffer, _enc, done) {
                loaded += chunk.length;
                onProgress?.(loaded);
                done(null, chunk);
              },
            });
            // The bytes hashed, no more: a file that grows meanwhile (a log) must not overrun the Content-Length.
            const source = createReadStream('', { fd: fd!, start: 0, end: size - 1, highWaterMark: READ_BUFFER });
            source.once('error', (err) => (readFailure ??= localError(err, 'upload', path)));
            request.write(head);
            await pipeline(
              source,
              counter,
              async function* (chunks) {
                for await (const chunk of chunks) yield chunk as Buffer;
                // Checked before the tail: a changed file leaves the request incomplete, and the server stores nothing.
                const change =
                  loaded === size
                    ? changeOf(path, stamp ?? { size: BigInt(size) })
                    : `changed since it was hashed: ${size} bytes then, ${loaded} now`;
                if (change) throw fileChangedError(path, change);
                yield tail;
              },
              request,
            ).catch(async (err: unknown) => {
              if (readFailure) throw readFailure;
              if (isUfsError(err) && err.code === 'INTEGRITY') throw err;
              // The server may answer (e.g. 413) and close before the body is sent: prefer its answer.
              const res = await Promise.race([answered, new Promise<undefined>((r) => setTimeout(r, 200, undefined))]);
              if (!res) throw err;
            });
          }
          const res = await answered;
          let text = '';
          for await (const chunk of res) if (text.length < 4096) text += String(chunk);
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300)
            throw httpError(status, await detailOf(text), context, headerValue(res.headers['retry-after']));
        } catch (err) {
          // A request given up on may still report its socket closing (`socket hang up`): nobody listens any more.
          request.on('error', () => undefined);
          request.destroy();
          throw readFailure ?? toUfsError(err, context);
        } finally {
          stop?.removeEventListener('abort', onStop);
        }
      },
      { ...RETRY, retryOn: retriedHere, ...(this.options.signal ? { signal: this.options.signal } : {}) },
    );
  }

  /**
   * The failure of a request the server did not answer within `timeoutMs` (the scan's --timeout): TIMEOUT naming
   * the server and the request. Retryable (a later scan may find the server answering: the core's TIMEOUT), but not
   * retried here (a server that did not answer in time is not asked again, and again): `context.timeout`, see
   * retriedHere.
   */
  noAnswer(method: string, path: string, cause?: unknown): UfsError {
    const seconds = Math.round((this.options.timeoutMs ?? 0) / 1000);
    const context = { backend: 'server', operation: `${method} ${path.split('?')[0]}`, path: this.shown };
    return new UfsError(
      'TIMEOUT',
      `${describeContext(context)} no answer in ${seconds} s (wait longer with --timeout SECONDS)`,
      { retryable: true, context: { ...context, timeout: seconds }, ...(cause ? { cause } : {}) },
    );
  }

  /**
   * The failure of a content upload (`POST /upload_file`) that the server left without a byte either way for
   * `timeoutMs`, taking none of its body or not answering it: TIMEOUT naming the file (`context.path`) and the
   * server (`context.url`), retryable but not retried here, as noAnswer.
   */
  uploadUnanswered(path: string, sha256: string): UfsError {
    const seconds = Math.round((this.options.timeoutMs ?? 0) / 1000);
    const url = `${this.shown}/upload_file/${sha256}`;
    return new UfsError(
      'TIMEOUT',
      `[ufs] [server] upload "${path}": no answer for ${seconds} s to POST ${url} (wait longer with --timeout SECONDS)`,
      {
        retryable: true,
        context: { backend: 'server', operation: 'upload', path, method: 'POST', url, timeout: seconds },
      },
    );
  }
}

/**
 * Which failures a request retries: the retryable ones, except a server that did not answer within --timeout
 * (`context.timeout`): asked again, it would keep the scan waiting as long again.
 */
function retriedHere(error: UfsError): boolean {
  return error.retryable && error.context.timeout === undefined;
}
