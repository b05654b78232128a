import type { VersionInfo } from '@org/core';
import { notFound } from '../errors.js';
import { backendFor, guard } from './access.js';
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
    throw notFound(node.mountName, 'asOf', node.path, `no version existed at ${date.toISOString()}`);
  return node.atVersion(at.versionId);
}

/** Deletes one version for good. */
export async function deleteVersionOf(node: StorageNode, versionId: string): Promise<void> {
  await node.atVersion(versionId).delete();
}

/**
 * Keeps the newest `keep` versions (at least 1: the current one is never removed) and deletes the older ones,
 * delete markers included. Returns how many were deleted.
 */
export async function compactVersionsOf(node: StorageNode, options: { keep?: number } = {}): Promise<number> {
  const keep = Math.max(1, Math.floor(options.keep ?? 1));
  const versions = await versionsOf(node);
  const doomed = versions.slice(keep).filter((v) => !v.isLatest);
  const backend = backendFor(node, 'compactVersions', 'delete', 'versioning', 'versions');
  for (const version of doomed)
    await guard(node, 'compactVersions', () => backend.delete(node.path, { versionId: version.versionId }));
  return doomed.length;
}
