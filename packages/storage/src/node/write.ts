import { createReadStream as fsReadStream, createWriteStream as fsWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { HashingStream, parentKey, UfsError, type StorageBackend } from '@org/core';
import { invalidInput, keyError, notAFolder, unsupported } from '../errors.js';
import { describedValue } from '../util/described-value.js';
import { bytesOf, isReplayable, mapSource, replayable, replayableBytes } from '../util/replayable.js';
import { reservedMetadataName } from '../util/mtime-metadata.js';
import { makeTempDir } from '../util/temp.js';
import { asBuffers, isByteStream, type ByteSource, type WriteSource } from '../util/streams.js';
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

/**
 * The caller's content, held from the first moment of a write or append: a Readable's 'error' is listened to at
 * once (a stream failing before the backend reads it — a missing file — would otherwise be an unhandled 'error'
 * event that ends the process); the error is kept, aborts the backend's work (`signal`), and is what the call
 * rejects with. A call that fails or is refused destroys the stream, as `stream.pipeline` does (no open fd left).
 */
class HeldSource {
  readonly source: ByteSource;
  /** The first error the caller's stream emitted. */
  error: unknown;
  private readonly stream: Readable | undefined;
  private readonly controller = new AbortController();

  constructor(
    content: WriteSource,
    private readonly node: StorageNode,
    private readonly operation: string,
  ) {
    if (content instanceof Readable) {
      this.stream = content;
      content.on('error', (err: unknown) => {
        if (this.error !== undefined) return;
        this.error = err;
        this.controller.abort(err);
      });
    }
    this.source = content instanceof Uint8Array ? replayableBytes(content) : this.checked(content);
  }

  private checked(content: unknown): ByteSource {
    // A string iterates as text, as it always did (`writeText` is the way to write one).
    const iterable =
      typeof content === 'string' ||
      (typeof content === 'object' &&
        content !== null &&
        (Symbol.asyncIterator in content || Symbol.iterator in content));
    if (iterable) return content as ByteSource;
    const kind = content === null ? 'null' : typeof content;
    throw invalidInput(
      siteOf(this.node),
      this.operation,
      this.node.path,
      `content must be a stream, an async iterable of bytes, a Buffer or a Uint8Array, not ${kind}`,
    );
  }

  /** The signal for the backend: the caller's, and aborted as well when the caller's stream fails. */
  signal(callerSignal: AbortSignal | undefined): AbortSignal | undefined {
    if (!this.stream) return callerSignal;
    return callerSignal ? AbortSignal.any([callerSignal, this.controller.signal]) : this.controller.signal;
  }

  /** The error the call fails with: the stream's own when it failed (the backend's abort only echoes it). */
  failure(err: unknown): unknown {
    return this.error ?? err;
  }

  /** After a failure or refusal: the caller's stream is released. */
  release(): void {
    if (this.stream && !this.stream.destroyed) this.stream.destroy();
  }
}

/**
 * Runs a write or append with its content held (see `HeldSource`); whatever makes it fail or refuses it, the caller's
 * stream is destroyed. Content that is no stream, iterable or bytes is refused (INVALID_INPUT).
 */
async function holding<T>(
  content: WriteSource,
  node: StorageNode,
  operation: string,
  run: (held: HeldSource) => Promise<T>,
): Promise<T> {
  const held = new HeldSource(content, node, operation);
  try {
    return await run(held);
  } catch (err) {
    held.release();
    throw err;
  }
}

/**
 * Fails the write when a declared `size` is not what the source gives: checked once the source has ended, before
 * the backend completes the write, so nothing is stored (the old content stays). A source that knows its own size
 * and fails its own check first (a copy's source that changed while read) keeps its error.
 */
function sizeChecked(node: StorageNode, source: ByteSource, size: number): ByteSource {
  const mismatch = (given: number) =>
    keyError('INTEGRITY', siteOf(node), 'write', node.path, `the source gave ${given} bytes, not the declared ${size}`);
  const inMemory = bytesOf(source);
  if (inMemory) {
    if (inMemory.byteLength !== size) throw mismatch(inMemory.byteLength);
    return source;
  }
  return mapSource(source, async function* (pass) {
    let given = 0;
    for await (const chunk of pass) {
      given += chunk.byteLength;
      yield chunk;
    }
    if (given !== size) throw mismatch(given);
  });
}

/** On backends with real folders, creates the parent folders of a key before writing it. */
export async function ensureParent(node: StorageNode, backend: StorageBackend): Promise<void> {
  const parent = parentKey(node.path);
  if (parent !== '' && backend.capabilities.directories) await backend.mkdir(parent, { parents: true, existOk: true });
}

/**
 * Writes content to a node. The caller's stream is held from the start (see `HeldSource`): its early failure is the
 * write's rejection, and a write that fails or is refused destroys it.
 */
export async function writeNode(
  node: StorageNode,
  content: WriteSource,
  options: NodeWriteOptions = {},
): Promise<WriteOutcome> {
  return holding(content, node, 'write', (held) => writeHeld(node, held, options));
}

async function writeHeld(node: StorageNode, held: HeldSource, options: NodeWriteOptions): Promise<WriteOutcome> {
  if (node.folderOnly) throw notAFolder(siteOf(node), 'write', node.path, false);
  if (node.versionId !== undefined)
    throw invalidInput(
      siteOf(node),
      'write',
      node.path,
      `cannot write to version "${node.versionId}" (a past version)`,
    );
  const backend = backendFor(node, 'write', 'write', 'write');
  refuseReservedMetadata(node, 'write', options.metadata);
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
  if (options.size !== undefined && !(Number.isSafeInteger(options.size) && options.size >= 0))
    throw invalidInput(
      siteOf(node),
      'write',
      node.path,
      `size must be a whole number ≥ 0, got ${describedValue(options.size)}`,
    );
  if (node.path === '') throw invalidInput(siteOf(node), 'write', node.path, 'the mount root is a folder, not a file');
  return guard(node, 'write', async () => {
    let prepared: Prepared | undefined;
    try {
      // Strings from text-mode streams become bytes; byte-mode streams and replayable sources (which already yield
      // Buffers) pass through unchanged, so no chunk is copied on the way.
      let input = byteInput(held.source);
      // A declared size is checked here, for every backend: a source giving another number of bytes fails the
      // write (INTEGRITY) before the backend completes it.
      if (options.size !== undefined) input = sizeChecked(node, input, options.size);
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
        signal: held.signal(options.signal),
        onProgress: options.onProgress,
      });
      return { written: true, size: result.size, etag: result.etag, versionId: result.versionId };
    } catch (err) {
      throw held.failure(err);
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
  return writeNode(node, replayableBytes(bytes), { ...options, size: options.size ?? bytes.byteLength });
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
  content: WriteSource,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await holding(content, node, 'append', async (held) => {
    if (node.folderOnly) throw notAFolder(siteOf(node), 'append', node.path, false);
    if (node.versionId !== undefined)
      throw invalidInput(siteOf(node), 'append', node.path, 'cannot append to a past version');
    const backend = backendFor(node, 'append', 'write', 'append', 'append');
    await guard(node, 'append', async () => {
      try {
        await ensureParent(node, backend);
        await backend.append!(node.path, held.source, { ...options, signal: held.signal(options.signal) });
      } catch (err) {
        throw held.failure(err);
      }
    });
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

/** User metadata may not use the name `mtime` (any case): object stores keep the modification time under it. */
export function refuseReservedMetadata(
  node: StorageNode,
  operation: string,
  metadata: Record<string, string> | undefined,
): void {
  const name = reservedMetadataName(metadata);
  if (name !== undefined)
    throw invalidInput(
      siteOf(node),
      operation,
      node.path,
      `metadata name ${JSON.stringify(name)} is reserved for the kept modification time (pass the mtime option instead)`,
    );
}
