import type { VersionInfo } from '@org/core';
import { notFound } from '../errors.js';
import { backendFor, guard, siteOf } from './access.js';
import type { StorageNode } from './storage-node.js';

/** Versions of the file, newest first. */
export async function versionsOf(node: StorageNode): Promise<VersionInfo[]> {
  const backend = backendFor(node, 'versions', 'read', 'versioning', 'versions');
  const versions = await guard(node, 'versions', () => backend.versions!(node.path));
  return [...versions].sort(
    (a, b) => (b.mtime?.getTime() ?? 0) - (a.mtime?.getTime() ?? 0) || Number(b.isLatest) - Number(a.isLatest),
  );
}

/** The node as it was at `date`: the newest version written at or before it. NOT_FOUND when there was none then. */
export async function asOfNode(node: StorageNode, date: Date): Promise<StorageNode> {
  const versions = await versionsOf(node);
  const at = versions.find((v) => v.mtime !== undefined && v.mtime.getTime() <= date.getTime());
  if (!at || at.isDeleteMarker)
    throw notFound(siteOf(node), 'asOf', node.path, `no version existed at ${date.toISOString()}`);
  return node.atVersion(at.versionId);
}

/** Deletes one version for good (UNSUPPORTED where versions cannot be deleted one by one, e.g. Dropbox). */
export async function deleteVersionOf(node: StorageNode, versionId: string): Promise<void> {
  backendFor(node, 'deleteVersion', 'delete', 'versionDelete');
  await node.atVersion(versionId).delete();
}

/**
 * Keeps the newest `keep` real versions (at least 1; delete markers are not counted, as with S3's
 * NoncurrentVersions retention) and deletes what is older than the last of them, delete markers included. The
 * current version (even a delete marker) is never removed, and neither is anything between it and the kept
 * versions, so a deleted file keeps its newest `keep` versions to be restored from. Deletes oldest first; returns
 * how many were deleted.
 */
export async function compactVersionsOf(node: StorageNode, options: { keep?: number } = {}): Promise<number> {
  const backend = backendFor(node, 'compactVersions', 'delete', 'versionDelete', 'versions');
  const keep = Math.max(1, Math.floor(options.keep ?? 1));
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
