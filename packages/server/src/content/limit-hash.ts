import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { UfsError } from '@org/core';

const COALESCE_BYTES = 1 << 20;

async function* coalesce(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    bytes += chunk.byteLength;
    if (bytes >= size) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
}

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
   * The hashed bytes as a stream for a backend write, regrouped into chunks of about 1 MiB: sockets deliver 16-64 KiB
   * pieces, and a file write stream issues one write at a time, so bigger pieces mean far fewer round trips.
   */
  stream(source: AsyncIterable<Uint8Array | string>): Readable {
    return Readable.from(coalesce(this.pass(source), COALESCE_BYTES), {
      objectMode: false,
      highWaterMark: 8 * COALESCE_BYTES,
    });
  }

  private async *pass(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const bytes =
        typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.bytes += bytes.byteLength;
      if (this.bytes > this.maxBytes) {
        throw new UfsError('TOO_LARGE', `[ufs] upload is larger than the limit of ${this.maxBytes} bytes`);
      }
      this.sha256.update(bytes);
      for (const hash of this.extra) hash.update(bytes);
      yield bytes;
    }
  }

  /** Consumes the source without storing it (the content is already held): hash and count only. */
  async drain(source: AsyncIterable<Uint8Array | string>): Promise<void> {
    for await (const _ of this.pass(source)) void _;
  }
}
