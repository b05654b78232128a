import type { VersionInfo } from '@org/core';
import { invalidInput, notFound } from '../errors.js';
import { describedValue } from '../util/described-value.js';
import { backendFor, guard, siteOf } from './access.js';
import type { StorageNode } from './storage-node.js';

/**
 * Refuses what cannot be a version id: a non-string or `''` (S3 would drop an empty `VersionId` and act on the
 * current file: read it, or delete it by placing a delete marker).
 */
export function checkVersionId(node: StorageNode, operation: string, versionId: unknown): asserts versionId is string {
  if (typeof versionId !== 'string' || versionId === '')
    throw invalidInput(
      siteOf(node),
      operation,
      node.path,
      `the version id must be a non-empty string, not ${versionId === '' ? 'an empty one' : describedValue(versionId)}`,
    );
}

/** Versions of the file, newest first. */
export async function versionsOf(node: StorageNode): Promise<VersionInfo[]> {
  const backend = backendFor(node, 'versions', 'read', 'versioning', 'versions');
  const versions = await guard(node, 'versions', () => backend.versions!(node.path));
  return [...versions].sort(
    (a, b) => (b.mtime?.getTime() ?? 0) - (a.mtime?.getTime() ?? 0) || Number(b.isLatest) - Number(a.isLatest),
  );
}

/**
 * A version as a backend without delete markers lists it (GCS): a noncurrent one says since when (its `timeDeleted`:
 * replaced or deleted then), so that a deletion ends its lifetime as a delete marker does elsewhere.
 */
type DatedVersion = VersionInfo & { noncurrentSince?: Date };

/**
 * The node as it was at `date`: the newest version written at or before it, unless it had stopped being current by
 * then (a delete marker is newer, or, without delete markers, its `noncurrentSince`). NOT_FOUND when there was none.
 */
export async function asOfNode(node: StorageNode, date: Date): Promise<StorageNode> {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw invalidInput(siteOf(node), 'asOf', node.path, `the date must be a valid Date, not ${describedValue(date)}`);
  const versions: DatedVersion[] = await versionsOf(node);
  const at = versions.find((v) => v.mtime !== undefined && v.mtime.getTime() <= date.getTime());
  const ended = at?.noncurrentSince instanceof Date && at.noncurrentSince.getTime() <= date.getTime();
  if (!at || at.isDeleteMarker || ended)
    throw notFound(siteOf(node), 'asOf', node.path, `no version existed at ${date.toISOString()}`);
  return node.atVersion(at.versionId);
}

/** Deletes one version for good (UNSUPPORTED where versions cannot be deleted one by one, e.g. Dropbox). */
export async function deleteVersionOf(node: StorageNode, versionId: string): Promise<void> {
  checkVersionId(node, 'deleteVersion', versionId);
  backendFor(node, 'deleteVersion', 'delete', 'versionDelete');
  await node.atVersion(versionId).delete();
}

/**
 * Keeps the newest `keep` real versions (a whole number, at least 1, else INVALID_INPUT; delete markers are not
 * counted, as with S3's NoncurrentVersions retention) and deletes what is older than the last of them, delete
 * markers included. The current version (even a delete marker) is never removed, and neither is anything between it
 * and the kept versions, so a deleted file keeps its newest `keep` versions to be restored from. Deletes oldest
 * first; returns how many were deleted.
 */
export async function compactVersionsOf(node: StorageNode, options: { keep?: number } = {}): Promise<number> {
  const backend = backendFor(node, 'compactVersions', 'delete', 'versionDelete', 'versions');
  // Only an absent `keep` means the default: `null` (or any other non-number) is refused, never read as "1".
  const keep: unknown = options.keep === undefined ? 1 : options.keep;
  if (typeof keep !== 'number')
    throw invalidInput(
      siteOf(node),
      'compactVersions',
      node.path,
      `keep must be a number, not ${describedValue(keep)}`,
    );
  // 0, negative or fractional counts are refused, never rounded: `keep: 0` is not "delete every version".
  if (!Number.isInteger(keep) || keep < 1)
    throw invalidInput(
      siteOf(node),
      'compactVersions',
      node.path,
      `keep must be a whole number of versions, 1 or more (the current version is always kept), not ${describedValue(keep)}`,
    );
  const versions = await versionsOf(node);
  let kept = 0;
  let cut = 0;
  for (const [index, version] of versions.entries()) {
    if (kept === keep) break;
    if (version.isDeleteMarker) continue;
    kept++;
    cut = index + 1;
  }
  const doomed = versions
    .slice(Math.max(cut, 1))
    .filter((v) => !v.isLatest)
    .reverse();
  for (const version of doomed)
    await guard(node, 'compactVersions', () => backend.delete(node.path, { versionId: version.versionId }));
  return doomed.length;
}
