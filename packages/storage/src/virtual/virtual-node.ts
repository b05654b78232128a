import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describeContext, hashStream, toUfsError, UfsError, type ErrorCode } from '@org/core';
import { copyNode } from '../copy/engine.js';
import type { CopyOptions, CopySummary } from '../copy/types.js';
import type { StorageNode } from '../node/storage-node.js';
import { serveNode, type ServeOptions, type ServeResult } from '../serve/serve.js';
import { mimetypeOf, stemOf, suffixOf } from '../node/names.js';
import type { HashKind, ReadStreamOptions } from '../node/types.js';
import { checkRange, collectBytes, sliceStream } from '../util/streams.js';
import type { ReadableNode, SourceStat } from './readable-node.js';

/** A byte range already checked: `end` undefined means "to the end". */
export interface ByteRange {
  start: number;
  end: number | undefined;
}

/**
 * A read-only node whose content is computed from other nodes (`concat`, `diff`, `zip`). It reads like a file
 * (`stat`, `createReadStream` with ranges, `readBytes`, `readText`, `hash`) and can be copied or served like one.
 * Subclasses produce the whole content; byte ranges are cut from it unless the subclass serves them natively.
 */
export abstract class VirtualNode implements ReadableNode {
  /** `concat`, `diff` or `zip`. */
  abstract readonly kind: string;
  /** The file name this content goes by (decides `mimetype`, the name of a download). */
  readonly basename: string;

  protected constructor(basename: string) {
    this.basename = basename;
  }

  /** `kind(source, source, …)`: names the node in errors and events. */
  abstract get fullpath(): string;
  abstract stat(options?: { signal?: AbortSignal }): Promise<SourceStat>;
  /** The whole content as a stream. */
  protected abstract produce(signal: AbortSignal | undefined): Promise<Readable>;

  /** A byte range of the content; the default cuts it out of the whole (subclasses with real ranges override). */
  protected async produceRange(range: ByteRange, signal: AbortSignal | undefined): Promise<Readable> {
    return sliceStream(await this.produce(signal), range.start, range.end);
  }

  get stem(): string {
    return stemOf(this.basename);
  }
  get suffix(): string {
    return suffixOf(this.basename);
  }
  get ext(): string {
    return this.suffix.slice(1);
  }
  get mimetype(): string {
    return mimetypeOf(this.basename);
  }
  toString(): string {
    return this.fullpath;
  }
  toJSON(): string {
    return this.fullpath;
  }

  async exists(): Promise<boolean> {
    try {
      await this.stat();
      return true;
    } catch (err) {
      if (err instanceof UfsError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }
  async isFile(): Promise<boolean> {
    return this.exists();
  }
  async isDir(): Promise<boolean> {
    return false;
  }
  /** Size in bytes; undefined when it is only known once produced (a compressed zip). */
  async size(): Promise<number | undefined> {
    return (await this.stat()).size;
  }

  /** The content (or an inclusive range of it), opened now: a missing source rejects here. */
  async openReadStream(options: ReadStreamOptions = {}): Promise<Readable> {
    const ranged = options.start !== undefined || options.end !== undefined;
    const range = this.guardSync('read', () => checkRange(options));
    return this.guard('read', () => (ranged ? this.produceRange(range, options.signal) : this.produce(options.signal)));
  }

  /** A stream of the content that opens on first read; errors arrive as the stream's `error` event. */
  createReadStream(options: ReadStreamOptions = {}): Readable {
    const open = () => this.openReadStream(options);
    async function* content(): AsyncGenerator<Buffer> {
      yield* (await open()) as AsyncIterable<Buffer>;
    }
    return Readable.from(content(), { objectMode: false });
  }

  /** The whole content in memory (`maxBytes` turns runaway content into TOO_LARGE). */
  async readBytes(options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Buffer> {
    const stream = await this.openReadStream({ signal: options.signal });
    return this.guard('read', () => collectBytes(stream, options.maxBytes));
  }

  async readText(encoding: BufferEncoding = 'utf8'): Promise<string> {
    return (await this.readBytes()).toString(encoding);
  }

  /** Checksum of the content, computed while streaming it. */
  async hash(algorithm: HashKind = 'sha256', options: { signal?: AbortSignal } = {}): Promise<string> {
    const stream = await this.openReadStream({ signal: options.signal });
    return this.guard('hash', async () => (await hashStream(stream, algorithm)).digest);
  }

  /** Writes the content to a file of a mount (streamed, atomically where the backend allows). */
  copyTo(dest: StorageNode, options: CopyOptions = {}): Promise<CopySummary> {
    return copyNode(this, dest, options);
  }

  /** Answers an HTTP GET/HEAD with the content (see `serveNode`). */
  serve(req: IncomingMessage, res: ServerResponse, options: ServeOptions = {}): Promise<ServeResult> {
    return serveNode(this, req, res, options);
  }

  /** An error that names this node: `[ufs] [concat] read "concat(a, b)": …`. */
  protected error(code: ErrorCode, operation: string, detail: string, cause?: unknown): UfsError {
    const context = { backend: this.kind, operation, path: this.fullpath };
    return new UfsError(code, `${describeContext(context)} ${detail}`, { context, cause });
  }

  protected async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toUfsError(err, { backend: this.kind, operation, path: this.fullpath });
    }
  }

  private guardSync<T>(operation: string, run: () => T): T {
    try {
      return run();
    } catch (err) {
      throw toUfsError(err, { backend: this.kind, operation, path: this.fullpath });
    }
  }
}
