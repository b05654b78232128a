import { UfsError } from '@org/core';
import { statOrNull } from '../node/stat.js';
import type { StorageNode } from '../node/storage-node.js';
import type { HashKind, NodeStat } from '../node/types.js';
import type { ReadableNode, SourceStat } from '../virtual/readable-node.js';
import type { SkipReason, SkipStrategy } from './types.js';

const STRATEGIES = ['never', 'exists', 'size', 'hash'];

/** Checks a `skip` option up front (a typo must not silently copy everything). */
export function checkSkip(skip: unknown): SkipStrategy {
  if (skip === undefined) return 'never';
  if (typeof skip === 'function' || STRATEGIES.includes(skip as string)) return skip as SkipStrategy;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] copy: skip must be one of ${STRATEGIES.join(', ')} or a function, got ${JSON.stringify(skip)}`,
  );
}

/**
 * Same content? Stored checksums of one kind on both sides are compared without reading. When only one side
 * stores one, the other side's checksum of that kind is streamed; with none, both sides stream SHA-256.
 */
async function sameContent(
  src: ReadableNode,
  srcStat: SourceStat,
  dest: StorageNode,
  destStat: NodeStat,
  signal?: AbortSignal,
): Promise<boolean> {
  const stored = srcStat.hash ?? destStat.hash;
  const kind: HashKind = stored?.algorithm ?? 'sha256';
  const [a, b] = await Promise.all([
    srcStat.hash?.algorithm === kind ? srcStat.hash.value : src.hash(kind, { signal }),
    destStat.hash?.algorithm === kind ? destStat.hash.value : dest.hash(kind, { signal }),
  ]);
  return a === b;
}

/** Why this file is left alone, or undefined to transfer it. */
export async function skipReason(
  strategy: SkipStrategy,
  src: ReadableNode,
  srcStat: SourceStat,
  dest: StorageNode,
  signal?: AbortSignal,
): Promise<SkipReason | undefined> {
  if (strategy === 'never') return undefined;
  if (typeof strategy === 'function') return (await strategy(src, dest)) === true ? 'custom' : undefined;
  const destStat = await statOrNull(dest, signal);
  if (!destStat?.isFile) return undefined;
  if (strategy === 'exists') return 'exists';
  if (srcStat.size === undefined || srcStat.size !== destStat.size) return undefined;
  if (strategy === 'size') return 'size';
  return (await sameContent(src, srcStat, dest, destStat, signal)) ? 'hash' : undefined;
}
