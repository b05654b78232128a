import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageBackend } from '@org/core';
import yauzl from 'yauzl';

/** Size of the blocks small reads (central directory, local headers) are fetched and cached in. */
const BLOCK_BYTES = 64 * 1024;
/** Blocks kept (LRU): the central directory is read sequentially, so a few are enough. */
const MAX_BLOCKS = 32;
/** Reads larger than this bypass the cache and stream straight from the source. */
const MAX_CACHED_READ = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * yauzl's random access over a key of another backend, by range reads: an archive on S3 or HTTP is never
 * downloaded whole. Entry data streams straight from the source; the many small metadata reads are served from
 * a small cache of 64 KiB blocks, so a central directory costs a few requests, not two per entry.
 */
export class BackendRandomAccessReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>();
  /** Requests made to the source (for tests and diagnostics). */
  sourceReads = 0;

  constructor(
    private readonly source: StorageBackend,
    private readonly key: string,
    private readonly size: number,
    /** The version of the archive to read, on a versioned source: an overwrite then never mixes two archives. */
    private readonly versionId?: string,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.sourceReads += 1;
    this.source.read(this.key, { start, end: end - 1, versionId: this.versionId }).then(
      (stream) => {
        // yauzl may destroy the range stream before the source answers (a consumer stopped early).
        if (out.destroyed) return void stream.destroy();
        out.once('close', () => stream.destroy());
        stream.on('error', (err) => out.destroy(err));
        stream.pipe(out);
      },
      (err: Error) => out.destroy(err),
    );
    return out;
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    if (length > MAX_CACHED_READ) return super.read(buffer, offset, length, position, callback);
    this.readCached(position, length).then(
      (bytes) => {
        bytes.copy(buffer, offset);
        callback(null);
      },
      (err: Error) => callback(err),
    );
  }

  private async readCached(position: number, length: number): Promise<Buffer> {
    const first = Math.floor(position / BLOCK_BYTES);
    const last = Math.floor((position + length - 1) / BLOCK_BYTES);
    const parts: Promise<Buffer>[] = [];
    for (let block = first; block <= last; block++) parts.push(this.block(block));
    const joined = Buffer.concat(await Promise.all(parts));
    const from = position - first * BLOCK_BYTES;
    return joined.subarray(from, from + length);
  }

  private block(index: number): Promise<Buffer> {
    const cached = this.blocks.get(index);
    if (cached) {
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const start = index * BLOCK_BYTES;
    const end = Math.min(this.size, start + BLOCK_BYTES) - 1;
    this.sourceReads += 1;
    const loading = this.source.read(this.key, { start, end, versionId: this.versionId }).then(readAll);
    loading.catch(() => this.blocks.delete(index));
    this.blocks.set(index, loading);
    if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    return loading;
  }

  override close(callback: (err: Error | null) => void): void {
    this.blocks.clear();
    setImmediate(() => callback(null));
  }
}

/** A local copy of an archive whose source cannot read ranges; removed by `remove()`. */
export interface TempCopy {
  path: string;
  remove(): Promise<void>;
}

/** Streams the archive to a temp file (never whole in memory) for sources without range reads. */
export async function copyToTempFile(
  source: StorageBackend,
  key: string,
  tempDir = tmpdir(),
  versionId?: string,
): Promise<TempCopy> {
  const dir = await mkdtemp(join(tempDir, 'ufs-zip-'));
  const path = join(dir, 'archive.zip');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(await source.read(key, { versionId }), createWriteStream(path));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}
