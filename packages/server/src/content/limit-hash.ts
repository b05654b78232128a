import { createHash, type Hash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { UfsError } from '@org/core';
import { OffThreadSha256 } from './hash-worker.js';
import { bodyError, declaredLength, pipeRequest } from './request-body.js';

/** Uploads expected to be at least this large (or of unknown size) are hashed on the hashing thread. */
const OFF_THREAD_BYTES = 8 * 1024 * 1024;

/**
 * The Content-Length `source` declares when it is a request (see declaredLength); TOO_LARGE with `overLimit`'s
 * message, before any of the body is read, when that is over `maxBytes`. LimitedHasher.admit, and the multipart
 * upload's check of its whole request.
 */
export function admitDeclared(
  source: unknown,
  maxBytes: number,
  overLimit: (declared: number) => string,
): number | undefined {
  const declared = declaredLength(source);
  if (declared !== undefined && declared > maxBytes) throw new UfsError('TOO_LARGE', overLimit(declared));
  return declared;
}

/**
 * Streams `source` through a SHA-256 (and optional extra hashes) and a byte limit. Throws TOO_LARGE as soon as
 * more than `maxBytes` arrive, so an oversized body is refused without being stored, or before reading a request
 * whose Content-Length is over the limit (`admit`: the one place that check is made). Large bodies are hashed on a
 * worker thread (see hash-worker.ts) while this thread reads the socket; `digest()` is ready when the stream ends.
 */
export class LimitedHasher {
  bytes = 0;
  private inline: Hash | undefined;
  private offThread: OffThreadSha256 | undefined;
  private hex: string | undefined;

  private readonly extra: Hash[];
  private readonly sha256: boolean;
  private readonly overLimit: (declared: number | undefined) => string;

  /**
   * @param options.extra further hashes fed the same bytes (a tus Upload-Checksum)
   * @param options.sha256 false: count and check the limit only (a tus chunk: the upload is hashed whole at the end)
   * @param options.overLimit the message refusing a body over the limit: `declared` is the Content-Length of a
   *   request refused before its body is read (see `admit`), undefined when more bytes arrived than the limit (a body
   *   without a Content-Length, or a source that is not a request). One builder, so both refusals read alike.
   */
  constructor(
    private readonly maxBytes: number,
    options: { extra?: Hash[]; sha256?: boolean; overLimit?: (declared: number | undefined) => string } = {},
  ) {
    this.extra = options.extra ?? [];
    this.sha256 = options.sha256 ?? true;
    this.overLimit =
      options.overLimit ??
      ((declared) =>
        declared === undefined
          ? `[ufs] upload is larger than the limit of ${maxBytes} bytes`
          : `[ufs] the request body (Content-Length ${declared}) is larger than the limit of ${maxBytes} bytes`);
  }

  /**
   * The Content-Length `source` declares when it is a request (see declaredLength). One that declares more than the
   * limit is refused here with TOO_LARGE before any of its body is read, so also without `100 Continue` (sent when
   * the body is first read: see continueOnRead). `stream` and `drain` check this themselves; a caller calls it first
   * to refuse such a request before any other work.
   */
  admit(source: unknown): number | undefined {
    return admitDeclared(source, this.maxBytes, this.overLimit);
  }

  /** The SHA-256 (hex) of every byte, once `stream` has ended or `drain` resolved. */
  digest(): string {
    if (!this.sha256) throw new Error('LimitedHasher: made without a SHA-256');
    if (this.hex === undefined) throw new Error('LimitedHasher: the digest is read before the body ended');
    return this.hex;
  }

  /**
   * The hashed bytes as a stream for a backend write: one Transform, no per-chunk promises or copies. Socket pieces
   * are small (16-64 KiB); a file write stream gathers those that arrive while a write is in flight into one
   * `writev`, so they need no regrouping here. An HTTP request is piped as `pipeRequest` says (ABORTED when the
   * client leaves; a refusal such as TOO_LARGE leaves its socket open for the error response).
   *
   * @param options.expectedBytes about how many bytes will come (an upper bound will do) when the source is not a
   *   request with a Content-Length: small bodies are hashed inline, large or unknown ones on the hashing thread
   * @param options.keepPartial a request whose client leaves ends the stream after the bytes that arrived (a tus
   *   PATCH keeps them) instead of failing it with ABORTED
   */
  stream(
    source: AsyncIterable<Uint8Array | string>,
    options: { expectedBytes?: number; keepPartial?: boolean } = {},
  ): Readable {
    const declared = this.admit(source);
    this.choose(options.expectedBytes ?? declared);
    const hasher = new Transform({
      highWaterMark: 4 << 20,
      transform: (chunk: Buffer, _encoding, callback) => {
        try {
          this.update(this.take(chunk), (err) => callback(err, chunk));
        } catch (err) {
          callback(err as Error);
        }
      },
      flush: (callback) => {
        this.finish().then(() => callback(), callback);
      },
    });
    // The consumer reads failures from the stream when it attaches (a backend write may first create folders):
    // this only stops an early 'error' event from becoming an uncaught exception.
    hasher.on('error', () => undefined);
    // A stream that ends early (an error, a consumer that stopped) releases its job; after the digest this is a no-op.
    hasher.once('close', () => this.offThread?.abandon());
    // Failures of either side reach the consumer through `hasher`.
    if (!pipeRequest(source, hasher, { endOnAbort: options.keepPartial ?? false }))
      pipeline(source, hasher, () => undefined);
    return hasher;
  }

  /** Consumes the source without storing it (the content is already held): hash and count only. */
  async drain(source: AsyncIterable<Uint8Array | string>, options: { expectedBytes?: number } = {}): Promise<void> {
    const declared = this.admit(source);
    this.choose(options.expectedBytes ?? declared);
    try {
      for await (const chunk of source) {
        const bytes = this.take(chunk as Uint8Array | string);
        await new Promise<void>((resolve, reject) => this.update(bytes, (err) => (err ? reject(err) : resolve())));
      }
      await this.finish();
    } catch (err) {
      this.offThread?.abandon();
      throw bodyError(source, err);
    }
  }

  private choose(expectedBytes: number | undefined): void {
    if (!this.sha256 || this.inline || this.offThread) return;
    if (expectedBytes !== undefined && expectedBytes < OFF_THREAD_BYTES) this.inline = createHash('sha256');
    else this.offThread = new OffThreadSha256();
  }

  private take(chunk: Uint8Array | string): Buffer {
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += bytes.byteLength;
    if (this.bytes > this.maxBytes) throw new UfsError('TOO_LARGE', this.overLimit(undefined));
    for (const hash of this.extra) hash.update(bytes);
    return bytes;
  }

  private update(bytes: Buffer, callback: (err?: Error) => void): void {
    if (this.offThread) return this.offThread.update(bytes, callback);
    this.inline?.update(bytes);
    callback();
  }

  private async finish(): Promise<void> {
    if (this.offThread) this.hex = await this.offThread.digest();
    else if (this.inline) this.hex = this.inline.digest('hex');
  }
}
