/**
 * Splits one byte stream into consecutive pieces of `size` bytes (the last may be shorter) without buffering a
 * piece: each piece is itself a stream over the same source. Read each piece to its end before asking for the next.
 */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array | undefined;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next piece of at most `size` bytes. */
  async *piece(size: number): AsyncGenerator<Uint8Array> {
    let left = size;
    while (left > 0) {
      let chunk = this.pending;
      this.pending = undefined;
      if (!chunk) {
        if (this.done) return;
        const next = await this.iterator.next();
        if (next.done) {
          this.done = true;
          return;
        }
        chunk = next.value;
      }
      if (chunk.byteLength > left) {
        this.pending = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.byteLength;
      yield chunk;
    }
  }

  /** Stops the source (closes the file) early, e.g. after a failed request. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
