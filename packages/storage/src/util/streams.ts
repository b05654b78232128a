import { Readable, Transform, type TransformCallback } from 'node:stream';
import { UfsError } from '@org/core';

/** What backends accept as content: a Node stream or any async iterable of bytes. */
export type ByteSource = Readable | AsyncIterable<Uint8Array>;

/** Turns any byte source into a Node Readable (a Readable passes through unchanged). */
export function toReadable(source: ByteSource): Readable {
  return source instanceof Readable ? source : Readable.from(source, { objectMode: false });
}

/** True for a Readable that emits Buffers (neither object mode nor a decoding text mode). */
export function isByteStream(source: unknown): source is Readable {
  return source instanceof Readable && !source.readableObjectMode && source.readableEncoding === null;
}

/** What a write accepts as content: a byte source, or bytes already in memory (a Buffer or Uint8Array). */
export type WriteSource = ByteSource | Uint8Array;

/** A chunk as a Buffer (a view, never a copy); anything but bytes or a string is refused with INVALID_INPUT. */
function chunkBuffer(chunk: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const kind = chunk === null ? 'null' : typeof chunk;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] content must yield Buffers, Uint8Arrays or strings; a chunk was ${kind === 'object' ? 'an object' : `a ${kind}`}`,
  );
}

/**
 * Iterates a source as Buffers (strings from a text-mode stream are encoded as UTF-8). Bytes given whole (a Buffer
 * or Uint8Array) are yielded in chunks of at most 64 KiB, never iterated as numbers.
 */
export async function* asBuffers(source: AsyncIterable<Uint8Array | string> | Uint8Array): AsyncGenerator<Buffer> {
  if (source instanceof Uint8Array) {
    const bytes = chunkBuffer(source);
    for (let offset = 0; offset < bytes.byteLength; offset += 65536) yield bytes.subarray(offset, offset + 65536);
    return;
  }
  for await (const chunk of source) yield chunkBuffer(chunk);
}

/**
 * Collects a source into one Buffer. Only for content the caller asked to hold in memory (`readBytes`,
 * `readText`) or small in-memory stores; `maxBytes` turns runaway input into TOO_LARGE.
 */
export async function collectBytes(source: AsyncIterable<Uint8Array | string>, maxBytes = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of asBuffers(source)) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new UfsError('TOO_LARGE', `[ufs] content is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Yields the chunks of a source unchanged, reporting each chunk's size (counters, progress). */
export async function* tap(
  source: AsyncIterable<Uint8Array>,
  onChunk: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onChunk(chunk.byteLength);
    yield chunk;
  }
}

/** A pass-through Transform that reports each chunk's size. */
export function countingTransform(onChunk: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      onChunk(chunk.byteLength);
      callback(null, chunk);
    },
  });
}

/**
 * Checks an inclusive byte range. `start` defaults to 0, `end` to the end of the content.
 * Throws INVALID_INPUT for negative or reversed ranges.
 */
export function checkRange(range: { start?: number; end?: number }): { start: number; end: number | undefined } {
  const start = range.start ?? 0;
  const end = range.end;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new UfsError('INVALID_INPUT', `[ufs] invalid range start ${String(range.start)}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new UfsError('INVALID_INPUT', `[ufs] invalid range end ${String(end)} (start ${start})`);
  }
  return { start, end };
}

/**
 * Emulates a byte range over a full stream for backends without native ranges: skips `start` bytes, passes bytes up
 * to `end` (inclusive) and then destroys the source, so nothing past the range is downloaded.
 */
export function sliceStream(source: Readable, start: number, end?: number): Readable {
  let position = 0;
  const last = end ?? Infinity;
  async function* slice(): AsyncGenerator<Buffer> {
    for await (const chunk of asBuffers(source)) {
      const chunkStart = position;
      position += chunk.byteLength;
      if (position <= start) continue;
      const from = Math.max(0, start - chunkStart);
      const to = Math.min(chunk.byteLength, last - chunkStart + 1);
      if (to > from) yield chunk.subarray(from, to);
      if (position > last) break; // leaving the loop destroys the source
    }
  }
  return Readable.from(slice(), { objectMode: false });
}

/** Splits a buffer into a stream of chunks (so in-memory content still streams in bounded pieces). */
export function bufferStream(buffer: Buffer, chunkSize = 64 * 1024): Readable {
  function* chunks(): Generator<Buffer> {
    for (let offset = 0; offset < buffer.byteLength; offset += chunkSize)
      yield buffer.subarray(offset, offset + chunkSize);
  }
  return Readable.from(chunks(), { objectMode: false });
}
