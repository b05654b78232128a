import { Readable } from 'node:stream';
import { checkRange, collectBytes, sliceStream } from '../util/streams.js';
import { keyContext } from '../errors.js';
import { backendFor, guard, siteOf } from './access.js';
import { openResumable, type ReadIdentity } from './resumable-read.js';
import { statOrNull } from './stat.js';
import type { StorageNode } from './storage-node.js';
import type { ReadStreamOptions } from './types.js';

/**
 * Opens the content (or a byte range of it). Failures such as NOT_FOUND surface here, before any byte flows.
 * Backends without native ranges get them emulated: the bytes before `start` are skipped and the download stops
 * after `end`. On backends with ranged reads, a read cut by the network goes on from the next byte when the file
 * is still the same (see `openResumable`): the file is stat-ed before the read, unless the caller hands the stat it
 * has just made as `known` (the copy engine and serveNode, internal: not an option of `openReadStream`).
 */
export async function openRead(
  node: StorageNode,
  options: ReadStreamOptions = {},
  known?: ReadIdentity,
): Promise<Readable> {
  const backend = backendFor(node, 'read', 'read', 'read');
  // A path written with a trailing `/` names a folder: a file there is not read (a folder fails as it always does).
  if (node.folderOnly) await statOrNull(node, options.signal, 'read');
  return guard(node, 'read', async () => {
    const ranged = options.start !== undefined || options.end !== undefined;
    const { start, end } = checkRange(options);
    const base = { versionId: node.versionId, signal: options.signal };
    const context = keyContext(siteOf(node), 'read', node.path);
    if (!ranged) return openResumable(backend, node.path, base, context, known);
    if (backend.capabilities.range) return openResumable(backend, node.path, { ...base, start, end }, context, known);
    return sliceStream(await backend.read(node.path, base), start, end);
  });
}

/**
 * A readable stream of the content that opens lazily, on first read; errors (NOT_FOUND, …) arrive as the stream's
 * `error` event. Destroying it closes the backend stream.
 */
export function createReadStream(node: StorageNode, options: ReadStreamOptions = {}): Readable {
  async function* content(): AsyncGenerator<Buffer> {
    const stream = await openRead(node, options);
    yield* stream as AsyncIterable<Buffer>;
  }
  return Readable.from(content(), { objectMode: false });
}

/** The whole content in memory (the caller asked for it: use streams for large files). */
export async function readBytes(
  node: StorageNode,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<Buffer> {
  const stream = await openRead(node, { signal: options.signal });
  return guard(node, 'read', () => collectBytes(stream, options.maxBytes));
}

export async function readText(node: StorageNode, encoding: BufferEncoding = 'utf8'): Promise<string> {
  return (await readBytes(node)).toString(encoding);
}
