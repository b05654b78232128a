import type { Readable } from 'node:stream';
import type { EntryStat } from '@org/core';
import { StorageNode } from '../node/storage-node.js';
import type { HashKind, ReadStreamOptions } from '../node/types.js';

/**
 * What a readable node reports: a `NodeStat` whose size may be unknown until the content has been produced (a
 * compressed zip). Everything a `StorageNode` returns fits.
 */
export type SourceStat = Omit<EntryStat, 'key' | 'size'> & { size: number | undefined };

/**
 * What copy, serve, concat and zip need from a node: a `StorageNode` or a virtual node (`concat`, `diff`, `zip`).
 * Reads only; a virtual node cannot be written to.
 */
export interface ReadableNode {
  /** `mount:path` for stored nodes; `concat(…)`, `diff(…)`, `zip(…)` for virtual ones. */
  readonly fullpath: string;
  readonly basename: string;
  readonly mimetype: string;
  stat(options?: { signal?: AbortSignal }): Promise<SourceStat>;
  /** The content (or an inclusive byte range of it), opened now: NOT_FOUND and the like reject here. */
  openReadStream(options?: ReadStreamOptions): Promise<Readable>;
  /** The same stream, opened lazily on first read. */
  createReadStream(options?: ReadStreamOptions): Readable;
  hash(algorithm?: HashKind, options?: { signal?: AbortSignal }): Promise<string>;
}

export function isStorageNode(node: ReadableNode | StorageNode): node is StorageNode {
  return node instanceof StorageNode;
}
