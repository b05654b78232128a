import { createHash, type Hash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { UfsError } from '@org/core';

/**
 * Streams `source` through a SHA-256 (and optional extra hashes) and a byte limit. Throws TOO_LARGE as soon as
 * more than `maxBytes` arrive, so an oversized body is refused without being stored.
 */
export class LimitedHasher {
  readonly sha256: Hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly extra: Hash[] = [],
  ) {}

  /**
   * The hashed bytes as a stream for a backend write: one synchronous Transform (no per-chunk promises or copies).
   * Socket pieces are small (16-64 KiB); a file write stream gathers those that arrive while a write is in flight
   * into one `writev`, so they need no regrouping here.
   */
  stream(source: AsyncIterable<Uint8Array | string>): Readable {
    const hasher = new Transform({
      highWaterMark: 4 << 20,
      transform: (chunk: Buffer, _encoding, callback) => {
        try {
          this.take(chunk);
          callback(null, chunk);
        } catch (err) {
          callback(err as Error);
        }
      },
    });
    // Failures of either side (the client going away, TOO_LARGE) reach the consumer through `hasher`.
    pipeline(source, hasher, () => undefined);
    return hasher;
  }

  private take(chunk: Uint8Array | string): Buffer {
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += bytes.byteLength;
    if (this.bytes > this.maxBytes) {
      throw new UfsError('TOO_LARGE', `[ufs] upload is larger than the limit of ${this.maxBytes} bytes`);
    }
    this.sha256.update(bytes);
    for (const hash of this.extra) hash.update(bytes);
    return bytes;
  }

  /** Consumes the source without storing it (the content is already held): hash and count only. */
  async drain(source: AsyncIterable<Uint8Array | string>): Promise<void> {
    for await (const chunk of source) this.take(chunk as Uint8Array | string);
  }
}
