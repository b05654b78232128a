import { hashStream, type StorageBackend } from '@org/core';
import { invalidInput, notAFolder, notFound } from '../errors.js';
import { backendFor, guard, siteOf } from './access.js';
import type { StorageNode } from './storage-node.js';
import type { HashKind, NodeStat } from './types.js';

/**
 * The stat of a node, or null when nothing is there. On a node written with a trailing `/` (`folderOnly`), a file
 * there is INVALID_INPUT: the path names a folder.
 */
export async function statOrNull(
  node: StorageNode,
  signal?: AbortSignal,
  operation = 'stat',
): Promise<NodeStat | null> {
  return guard(node, operation, async () => {
    const backend = node.mount.backend();
    const stat = await backend.stat(node.path, { versionId: node.versionId, signal });
    if (!stat) return null;
    if (node.folderOnly && stat.isFile) throw notAFolder(siteOf(node), operation, node.path, true);
    const { key: _key, ...rest } = stat;
    return rest;
  });
}

export async function statNode(node: StorageNode, signal?: AbortSignal): Promise<NodeStat> {
  const stat = await statOrNull(node, signal);
  if (!stat) throw notFound(siteOf(node), 'stat', node.path);
  return stat;
}

async function readFor(node: StorageNode, backend: StorageBackend, signal?: AbortSignal) {
  return backend.read(node.path, { versionId: node.versionId, signal });
}

/**
 * The node's checksum: the backend's stored one when it is of the asked kind (no read), otherwise a streaming hash
 * of the content.
 */
export async function hashNode(
  node: StorageNode,
  algorithm: HashKind = 'sha256',
  signal?: AbortSignal,
): Promise<string> {
  const stat = await statNode(node, signal);
  if (stat.isDir) throw invalidInput(siteOf(node), 'hash', node.path, 'is a folder, not a file');
  // Neither file nor folder (a link that is not followed, a FIFO): the read below says why it cannot be read.
  if (stat.isFile && stat.hash?.algorithm === algorithm) return stat.hash.value;
  const backend = backendFor(node, 'hash', 'read', 'read');
  return guard(node, 'hash', async () => (await hashStream(await readFor(node, backend, signal), algorithm)).digest);
}
