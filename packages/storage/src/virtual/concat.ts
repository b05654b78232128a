import { Readable } from 'node:stream';
import { UfsError } from '@org/core';
import { asBuffers } from '../util/streams.js';
import type { ReadableNode, SourceStat } from './readable-node.js';
import { VirtualNode, type ByteRange } from './virtual-node.js';

/**
 * The concatenation of files, read lazily: each source is opened only when the stream reaches it, and a byte
 * range opens only the sources it overlaps (each with its own sub-range).
 */
export class ConcatNode extends VirtualNode {
  readonly kind = 'concat';
  readonly sources: readonly ReadableNode[];

  constructor(sources: readonly ReadableNode[], name?: string) {
    const first = sources[0];
    if (!first) throw new UfsError('INVALID_INPUT', '[ufs] [concat] concat() needs at least one node');
    super(name ?? first.basename);
    this.sources = [...sources];
  }

  get fullpath(): string {
    return `concat(${this.sources.map((s) => s.fullpath).join(', ')})`;
  }

  /** The same concatenation under another file name (for its MIME type, a download's name). */
  named(name: string): ConcatNode {
    return new ConcatNode(this.sources, name);
  }

  /** Stats of every source (in parallel); a folder among them is INVALID_INPUT, a missing one NOT_FOUND. */
  private async sourceStats(signal?: AbortSignal): Promise<SourceStat[]> {
    const stats = await Promise.all(this.sources.map((s) => s.stat({ signal })));
    stats.forEach((stat, i) => {
      if (!stat.isFile)
        throw this.error('INVALID_INPUT', 'read', `"${this.sources[i]!.fullpath}" is a folder; concat joins files`);
    });
    return stats;
  }

  /** Size is the sum of the sources' sizes; mtime the newest of theirs. */
  async stat(options: { signal?: AbortSignal } = {}): Promise<SourceStat> {
    return this.guard('stat', async () => {
      const stats = await this.sourceStats(options.signal);
      let size: number | undefined = 0;
      let mtime: Date | undefined;
      for (const stat of stats) {
        size = size === undefined || stat.size === undefined ? undefined : size + stat.size;
        if (stat.mtime && (!mtime || stat.mtime > mtime)) mtime = stat.mtime;
      }
      return { isFile: true, isDir: false, size, mtime, contentType: this.mimetype };
    });
  }

  /**
   * Exactly `count` bytes of a source's stream: a source that has more (it grew since its stat) is cut there, one
   * that ends short (it shrank) fails with INTEGRITY. Either way no byte of the next source lands at a wrong offset.
   */
  private async *exactly(stream: Readable, count: number, source: ReadableNode): AsyncGenerator<Buffer> {
    let read = 0;
    for await (const chunk of asBuffers(stream)) {
      const room = count - read;
      if (chunk.byteLength >= room) {
        if (room > 0) yield chunk.subarray(0, room);
        read = count;
        break; // stops reading: a source that grew is not read past its stat's size
      }
      read += chunk.byteLength;
      yield chunk;
    }
    if (read < count) {
      const detail = `"${source.fullpath}" changed while it was read: it ended after ${read} of its ${count} bytes`;
      throw this.error('INTEGRITY', 'read', detail);
    }
  }

  protected async produce(signal: AbortSignal | undefined): Promise<Readable> {
    const stats = await this.sourceStats(signal); // every source is there (none opened yet)
    const sources = this.sources;
    const exactly = this.exactly.bind(this);
    async function* whole(): AsyncGenerator<Buffer> {
      for (const [i, source] of sources.entries()) {
        const stream = await source.openReadStream({ signal });
        const size = stats[i]!.size;
        yield* size === undefined ? asBuffers(stream) : exactly(stream, size, source);
      }
    }
    return Readable.from(whole(), { objectMode: false });
  }

  protected override async produceRange(range: ByteRange, signal: AbortSignal | undefined): Promise<Readable> {
    const stats = await this.sourceStats(signal);
    const sources = this.sources;
    const last = range.end ?? Infinity;
    const exactly = this.exactly.bind(this);
    async function* pieces(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const [i, source] of sources.entries()) {
        if (offset > last) return;
        const size = stats[i]!.size;
        if (size !== undefined) {
          const from = Math.max(0, range.start - offset);
          const to = Math.min(size - 1, last - offset);
          offset += size;
          if (to >= from)
            yield* exactly(await source.openReadStream({ start: from, end: to, signal }), to - from + 1, source);
          continue;
        }
        // Size unknown until produced (a compressed zip): read through it, keeping the overlap.
        for await (const chunk of asBuffers(await source.openReadStream({ signal }))) {
          const chunkStart = offset;
          offset += chunk.byteLength;
          const from = Math.max(0, range.start - chunkStart);
          const to = Math.min(chunk.byteLength, last - chunkStart + 1);
          if (to > from) yield chunk.subarray(from, to);
          if (offset > last) return;
        }
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  }
}

/** A read-only node whose content is the sources one after another (see `ConcatNode`). */
export function concat(...nodes: ReadableNode[]): ConcatNode {
  return new ConcatNode(nodes);
}
