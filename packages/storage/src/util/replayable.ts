import type { ByteSource } from './streams.js';
import { asBuffers } from './streams.js';

const REPLAYABLE: unique symbol = Symbol.for('ufs.replayableSource');

/**
 * A byte source that can be read more than once: each iteration opens the content afresh. Writes from a
 * replayable source may be retried (see the retry layer); plain streams are consumed once and never retried.
 */
export interface ReplayableSource extends AsyncIterable<Buffer> {
  readonly [REPLAYABLE]: true;
  /** Total size in bytes when known. */
  readonly size?: number;
}

/** Wraps a function that opens the content (a file stream, a buffer, a download) as a replayable source. */
export function replayable(open: () => ByteSource | Promise<ByteSource>, size?: number): ReplayableSource {
  return {
    [REPLAYABLE]: true,
    size,
    async *[Symbol.asyncIterator]() {
      yield* asBuffers(await open());
    },
  };
}

const BYTES: unique symbol = Symbol.for('ufs.replayableBytes');

/** In-memory bytes as a replayable source, yielded in chunks of at most 64 KiB. */
export function replayableBytes(bytes: Uint8Array): ReplayableSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const source: ReplayableSource & { [BYTES]: Buffer } = {
    [REPLAYABLE]: true,
    [BYTES]: buffer,
    size: buffer.byteLength,
    async *[Symbol.asyncIterator]() {
      for (let offset = 0; offset < buffer.byteLength; offset += 65536) yield buffer.subarray(offset, offset + 65536);
    },
  };
  return source;
}

/** The Buffer behind a `replayableBytes` source (content already in memory), or undefined for any other source. */
export function bytesOf(source: unknown): Buffer | undefined {
  if (!isReplayable(source)) return undefined;
  const bytes = (source as { [BYTES]?: unknown })[BYTES];
  return Buffer.isBuffer(bytes) ? bytes : undefined;
}

export function isReplayable(source: unknown): source is ReplayableSource {
  return typeof source === 'object' && source !== null && (source as { [REPLAYABLE]?: unknown })[REPLAYABLE] === true;
}

/**
 * Applies a per-pass transformation (counting, progress) to a source while keeping it replayable when it was.
 */
export function mapSource(
  source: ByteSource,
  transform: (pass: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>,
): ByteSource {
  if (isReplayable(source)) return replayable(() => transform(source) as ByteSource, source.size);
  return transform(source) as ByteSource;
}
