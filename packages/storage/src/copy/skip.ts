import { UfsError } from '@org/core';
import { statOrNull } from '../node/stat.js';
import type { StorageNode } from '../node/storage-node.js';
import type { HashKind, NodeStat } from '../node/types.js';
import { modifiedPrecision, canKeepModified } from '../util/modified.js';
import { isStorageNode, type ReadableNode, type SourceStat } from '../virtual/readable-node.js';
import type { SkipReason, SkipStrategy } from './types.js';

const STRATEGIES = ['never', 'exists', 'size', 'modtime', 'hash'];

/**
 * Default `modifyWindow`: 0, so the backends' precision decides (`capabilities.modifiedPrecisionMs`: 1 ms on local,
 * memory and object stores, whole seconds on SFTP).
 */
export const DEFAULT_MODIFY_WINDOW = 0;

/** The largest `modifyWindow`: one day (a wider one would call files a day apart "the same"). */
export const MAX_MODIFY_WINDOW = 24 * 60 * 60 * 1000;

/** Checks a `skip` option up front (a typo must not silently copy everything). */
export function checkSkip(skip: unknown): SkipStrategy {
  if (skip === undefined) return 'never';
  if (typeof skip === 'function' || STRATEGIES.includes(skip as string)) return skip as SkipStrategy;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] copy: skip must be one of ${STRATEGIES.join(', ')} or a function, got ${JSON.stringify(skip)}`,
  );
}

/** Checks `modifyWindow` up front: milliseconds, 0 to one day. */
export function checkModifyWindow(value: unknown): number {
  if (value === undefined) return DEFAULT_MODIFY_WINDOW;
  if (typeof value === 'number' && value >= 0 && value <= MAX_MODIFY_WINDOW) return value;
  // String(), not JSON.stringify: NaN and Infinity are named, not "null".
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] copy: modifyWindow must be a number of milliseconds from 0 to ${MAX_MODIFY_WINDOW} (one day), got ${shown}`,
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
 * The window times are compared with: the larger of the one asked for and the precision both sides keep (rclone:
 * a time kept to the second matches its source to within a second). A virtual source keeps milliseconds.
 */
export function effectiveWindow(src: ReadableNode, dest: StorageNode, modifyWindow: number): number {
  const srcPrecision = isStorageNode(src) ? modifiedPrecision(src.backend.capabilities) : 1;
  const precision = Math.max(srcPrecision, modifiedPrecision(dest.backend.capabilities));
  // A precision of 1 ms is exact: Dates hold whole milliseconds, so "less than 1 ms apart" is "equal".
  return Math.max(modifyWindow, precision);
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
    // A destination that cannot keep times, or not this one (SFTP before 1970 or after 2106), has the time of its
    // copy: the size alone decides (as rclone does), rather than copying again on every run.
    const caps = dest.backend.capabilities;
    if (!caps.setModified || (srcStat.mtime !== undefined && !canKeepModified(caps, srcStat.mtime))) return 'size';
    const window = effectiveWindow(src, dest, modifyWindow);
    return sameModified(srcStat.mtime, destStat.mtime, window) ? 'modtime' : undefined;
  }
  return (await sameContent(src, srcStat, dest, destStat, signal)) ? 'hash' : undefined;
}
