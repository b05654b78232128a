import { UfsError } from '@org/core';
import { statOrNull } from '../node/stat.js';
import type { StorageNode } from '../node/storage-node.js';
import type { HashKind, NodeStat } from '../node/types.js';
import type { ReadableNode, SourceStat } from '../virtual/readable-node.js';
import type { SkipReason, SkipStrategy } from './types.js';

const STRATEGIES = ['never', 'exists', 'size', 'modtime', 'hash'];

/** Default `modifyWindow`: one second, the coarsest modification time a destination keeps (SFTP: whole seconds). */
export const DEFAULT_MODIFY_WINDOW = 1000;

/** Checks a `skip` option up front (a typo must not silently copy everything). */
export function checkSkip(skip: unknown): SkipStrategy {
  if (skip === undefined) return 'never';
  if (typeof skip === 'function' || STRATEGIES.includes(skip as string)) return skip as SkipStrategy;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] copy: skip must be one of ${STRATEGIES.join(', ')} or a function, got ${JSON.stringify(skip)}`,
  );
}

/** Checks `modifyWindow` up front: milliseconds, ≥ 0. */
export function checkModifyWindow(value: unknown): number {
  if (value === undefined) return DEFAULT_MODIFY_WINDOW;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] copy: modifyWindow must be a number of milliseconds ≥ 0, got ${JSON.stringify(value)}`,
  );
}

/**
 * Same modification time, within `window` ms (rclone's `--modify-window`: equal when they differ by less)? A side
 * without one is not the same.
 */
function sameModified(a: Date | undefined, b: Date | undefined, window: number): boolean {
  if (a === undefined || b === undefined) return false;
  const difference = Math.abs(a.getTime() - b.getTime());
  return window === 0 ? difference === 0 : difference < window;
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
  modifyWindow = DEFAULT_MODIFY_WINDOW,
): Promise<SkipReason | undefined> {
  if (strategy === 'never') return undefined;
  if (typeof strategy === 'function') return (await strategy(src, dest)) === true ? 'custom' : undefined;
  const destStat = await statOrNull(dest, signal);
  if (!destStat?.isFile) return undefined;
  if (strategy === 'exists') return 'exists';
  if (srcStat.size === undefined || srcStat.size !== destStat.size) return undefined;
  if (strategy === 'size') return 'size';
  if (strategy === 'modtime') {
    // A destination that cannot keep times has the time of its copy: the size alone decides (as rclone does).
    if (!dest.backend.capabilities.setModified) return 'size';
    return sameModified(srcStat.mtime, destStat.mtime, modifyWindow) ? 'modtime' : undefined;
  }
  return (await sameContent(src, srcStat, dest, destStat, signal)) ? 'hash' : undefined;
}
