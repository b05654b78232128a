import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Bytes written between two background flushes of a durable write. Large enough that a file under it sees only its
 * final fsync; small enough that the final fsync finds little left to write.
 */
const SYNC_STEP = 16 << 20;

export interface FileWriterOptions {
  /** `open` flags, e.g. `wx`. */
  flags: string;
  /** Bytes taken before the source is asked to wait; pieces arriving meanwhile go down in one `writev`. */
  highWaterMark: number;
  /**
   * fsync the file before the stream finishes. While it is written, every `SYNC_STEP` bytes start an fdatasync in
   * the background (one at a time), so the disk writes while bytes still arrive and the final fsync has only the
   * tail left (with the final flush alone, a 1 GiB upload waited ~0.65 s for it here after its last byte).
   */
  fsync: boolean;
}

/**
 * A file write stream over a FileHandle (what `fs.createWriteStream` does, plus the progressive flush above). The
 * handle is closed when the stream ends or is destroyed; `close` is emitted after that.
 */
export class FileWriter extends Writable {
  bytesWritten = 0;
  /** Background flushes started so far. */
  flushes = 0;
  private handle: FileHandle | undefined;
  private syncedAt = 0;
  private syncing: Promise<void> | undefined;
  private syncFailure: Error | undefined;

  constructor(
    private readonly path: string,
    private readonly options: FileWriterOptions,
  ) {
    super({ highWaterMark: options.highWaterMark });
  }

  override _construct(callback: (err?: Error | null) => void): void {
    open(this.path, this.options.flags, 0o666).then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    const finish = async () => {
      await this.syncing;
      if (this.syncFailure) throw this.syncFailure;
      if (this.options.fsync) await this.handle!.sync();
    };
    finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (err?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    // A background flush may still run: wait for it before closing.
    const close = async () => {
      await this.syncing;
      await handle?.close();
    };
    close().then(
      () => callback(error),
      (err: unknown) => callback(error ?? (err as Error)),
    );
  }

  /** Writes every byte of `buffers` (a short write continues where it stopped). */
  private async writeAll(buffers: Buffer[]): Promise<void> {
    if (this.syncFailure) throw this.syncFailure;
    const handle = this.handle!;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending);
      this.bytesWritten += bytesWritten;
      pending = rest(pending, bytesWritten);
    }
    if (this.options.fsync && !this.syncing && this.bytesWritten - this.syncedAt >= SYNC_STEP) {
      this.syncedAt = this.bytesWritten;
      this.flushes++;
      // Linux reports a write-back error to each file descriptor once: the one this flush sees fails the stream (the
      // final fsync would not see it again).
      this.syncing = handle.datasync().then(
        () => {
          this.syncing = undefined;
        },
        (err: unknown) => {
          this.syncing = undefined;
          this.syncFailure = err as Error;
        },
      );
    }
  }
}

/** What is left of `buffers` after their first `written` bytes. */
export function rest(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i]!.byteLength) skip -= buffers[i++]!.byteLength;
  if (i === buffers.length) return [];
  return [buffers[i]!.subarray(skip), ...buffers.slice(i + 1)];
}
