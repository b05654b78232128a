import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { HashAlgorithm, HashResult } from './hash-file.js';

/** Hashes a stream or any async iterable of bytes to its end. */
export async function hashStream(
  source: AsyncIterable<Uint8Array | string>,
  algorithm: HashAlgorithm = 'sha256',
): Promise<HashResult> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { digest: hash.digest('hex'), size };
}

/** Hash of bytes in memory (small inputs, tests). */
export function hashBytes(bytes: Uint8Array | string, algorithm: HashAlgorithm = 'sha256'): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/**
 * A pass-through stream that hashes (one or more algorithms) and counts what flows through it.
 * `result(algorithm)` is available once the stream has finished.
 */
export class HashingStream extends Transform {
  private readonly hashes = new Map<HashAlgorithm, Hash>();
  private digests: Map<HashAlgorithm, string> | undefined;
  private bytes = 0;

  constructor(algorithms: readonly HashAlgorithm[] = ['sha256']) {
    super();
    for (const algorithm of algorithms) this.hashes.set(algorithm, createHash(algorithm));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const hash of this.hashes.values()) hash.update(chunk);
    this.bytes += chunk.byteLength;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digests = new Map([...this.hashes].map(([algorithm, hash]) => [algorithm, hash.digest('hex')]));
    callback();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.bytes;
  }

  /** The digest, once the stream has ended. */
  digest(algorithm: HashAlgorithm = 'sha256'): string {
    const value = this.digests?.get(algorithm);
    if (value === undefined) {
      throw new Error(
        this.digests ? `HashingStream was not asked for ${algorithm}` : 'HashingStream has not finished yet',
      );
    }
    return value;
  }
}
