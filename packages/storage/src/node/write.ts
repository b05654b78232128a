import { createReadStream as fsReadStream, createWriteStream as fsWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { HashingStream, parentKey, UfsError, type StorageBackend } from '@org/core';
import { invalidInput, notAFolder, unsupported } from '../errors.js';
import { isReplayable, mapSource, replayable, replayableBytes } from '../util/replayable.js';
import { makeTempDir } from '../util/temp.js';
import { asBuffers, isByteStream, type ByteSource } from '../util/streams.js';
import { backendFor, guard, siteOf } from './access.js';
import { knownMimetype } from './names.js';
import { statOrNull } from './stat.js';
import type { StorageNode } from './storage-node.js';
import type { NodeWriteOptions, WriteOutcome } from './types.js';

interface Prepared {
  source: ByteSource;
  size: number;
  md5: string;
  sha256: string;
  cleanup: () => Promise<void>;
}

/** Hashes the source before writing: in place when it is replayable, through a temporary spool file otherwise. */
async function prepare(source: ByteSource): Promise<Prepared> {
  const hashing = new HashingStream(['md5', 'sha256']);
  if (isReplayable(source)) {
    await pipeline(source, hashing, new Writable({ write: (_chunk, _enc, done) => done() }));
    return {
      source,
      size: hashing.size,
      md5: hashing.digest('md5'),
      sha256: hashing.digest('sha256'),
      cleanup: async () => undefined,
    };
  }
  const temp = await makeTempDir('ufs-spool-');
  try {
    const file = join(temp.path, 'content');
    await pipeline(source, hashing, fsWriteStream(file, { mode: 0o600 }));
    const size = hashing.size;
    return {
      source: replayable(() => fsReadStream(file), size),
      size,
      md5: hashing.digest('md5'),
      sha256: hashing.digest('sha256'),
      cleanup: temp.remove,
    };
  } catch (err) {
    await temp.remove();
    throw err;
  }
}

async function unchanged(node: StorageNode, prepared: Prepared, signal?: AbortSignal): Promise<boolean> {
  const stat = await statOrNull(node, signal);
  if (!stat?.isFile || stat.size !== prepared.size) return false;
  const kind = stat.hash?.algorithm ?? 'sha256';
  return (await node.hash(kind)) === prepared[kind];
}

/** A byte-mode Readable or a replayable source as is; anything else iterated as Buffers. */
function byteInput(source: ByteSource): ByteSource {
  if (isReplayable(source) || isByteStream(source)) return source;
  return mapSource(source, asBuffers);
}

/** On backends with real folders, creates the parent folders of a key before writing it. */
export async function ensureParent(node: StorageNode, backend: StorageBackend): Promise<void> {
  const parent = parentKey(node.path);
  if (parent !== '' && backend.capabilities.directories) await backend.mkdir(parent, { parents: true, existOk: true });
}

export async function writeNode(
  node: StorageNode,
  source: ByteSource,
  options: NodeWriteOptions = {},
): Promise<WriteOutcome> {
  if (node.folderOnly) throw notAFolder(siteOf(node), 'write', node.path, false);
  if (node.versionId !== undefined)
    throw invalidInput(
      siteOf(node),
      'write',
      node.path,
      `cannot write to version "${node.versionId}" (a past version)`,
    );
  const backend = backendFor(node, 'write', 'write', 'write');
  if (options.metadata && Object.keys(options.metadata).length > 0 && !backend.capabilities.metadata) {
    throw unsupported(
      siteOf(node),
      'write',
      node.path,
      `mount "${node.mountName}" (${backend.protocol}) cannot store user metadata`,
    );
  }
  if (options.mtime !== undefined && !backend.capabilities.setModified) {
    throw unsupported(
      siteOf(node),
      'write',
      node.path,
      `mount "${node.mountName}" (${backend.protocol}) cannot keep a given modification time`,
    );
  }
  if (options.mtime !== undefined && Number.isNaN(options.mtime.getTime()))
    throw invalidInput(siteOf(node), 'write', node.path, 'mtime is not a valid date');
  if (node.path === '') throw invalidInput(siteOf(node), 'write', node.path, 'the mount root is a folder, not a file');
  return guard(node, 'write', async () => {
    let prepared: Prepared | undefined;
    try {
      // Strings from text-mode streams become bytes; byte-mode streams and replayable sources (which already yield
      // Buffers) pass through unchanged, so no chunk is copied on the way.
      let input = byteInput(source);
      if (options.skipIfUnchanged) {
        prepared = await prepare(input);
        input = prepared.source;
        if (await unchanged(node, prepared, options.signal)) return { written: false, size: prepared.size };
      }
      // No ensureParent here: a backend write creates the parents it needs (the contract suite's 'creates parents
      // for nested keys' holds every backend to it), so a separate mkdir would only cost a round trip per write.
      const result = await backend.write(node.path, input, {
        contentType: options.contentType ?? knownMimetype(node.basename),
        cacheControl: options.cacheControl,
        metadata: options.metadata,
        ifNotExists: options.ifNotExists,
        size: options.size ?? prepared?.size ?? (isReplayable(input) ? input.size : undefined),
        mtime: options.mtime,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      return { written: true, size: result.size, etag: result.etag, versionId: result.versionId };
    } finally {
      await prepared?.cleanup();
    }
  });
}

export function writeBytes(
  node: StorageNode,
  bytes: Uint8Array,
  options: NodeWriteOptions = {},
): Promise<WriteOutcome> {
  return writeNode(node, replayableBytes(bytes), { ...options, size: bytes.byteLength });
}

export function writeText(
  node: StorageNode,
  text: string,
  options: NodeWriteOptions & { encoding?: BufferEncoding } = {},
): Promise<WriteOutcome> {
  const { encoding = 'utf8', ...rest } = options;
  return writeBytes(node, Buffer.from(text, encoding), rest);
}

/** Appends to a file (creating it when missing) on backends with native append. */
export async function appendNode(
  node: StorageNode,
  source: ByteSource,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  if (node.folderOnly) throw notAFolder(siteOf(node), 'append', node.path, false);
  if (node.versionId !== undefined)
    throw invalidInput(siteOf(node), 'append', node.path, 'cannot append to a past version');
  const backend = backendFor(node, 'append', 'write', 'append', 'append');
  await guard(node, 'append', async () => {
    await ensureParent(node, backend);
    await backend.append!(node.path, source, options);
  });
}

/**
 * A writable stream into a node. The backend write runs as data arrives (with backpressure); `finish` is emitted
 * only once the backend has stored everything, and `done()` gives the outcome. Destroying the stream aborts the
 * write (atomic backends then leave nothing behind).
 */
export class NodeWriteStream extends Writable {
  /** The outcome, once the stream has finished. */
  result: WriteOutcome | undefined;
  private readonly input = new PassThrough();
  private readonly pending: Promise<WriteOutcome>;

  constructor(start: (source: PassThrough) => Promise<WriteOutcome>) {
    super();
    // The input's errors reach the writer through the backend's rejected write; no second report here.
    this.input.on('error', () => undefined);
    this.pending = start(this.input);
    this.pending.catch((err: unknown) => this.destroy(err as Error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.input.write(chunk)) callback();
    else this.input.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.input.end();
    this.pending.then(
      (outcome) => {
        this.result = outcome;
        callback();
      },
      (err: unknown) => callback(err as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.input.writableFinished)
      this.input.destroy(error ?? new UfsError('ABORTED', '[ufs] write stream destroyed before it finished'));
    callback(error);
  }

  /** Waits for the stream to finish and returns the outcome (rejects with the write's error). */
  async done(): Promise<WriteOutcome> {
    await finished(this);
    return this.result!;
  }
}
