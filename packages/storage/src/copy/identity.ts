import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { isWithin } from '@org/core';
import type { StorageNode } from '../node/storage-node.js';

/**
 * Whether two nodes name the same object under different names, so that copying one onto the other would truncate
 * it and moving would delete it: the same key of the same backend instance once relative mounts are resolved (any
 * backend), or the same file on this machine (backends with real paths: equal real paths, or the same device and
 * inode — links, bind mounts, hard links). A past version is never the current object.
 */
export async function sameFile(src: StorageNode, dest: StorageNode): Promise<boolean> {
  if (src.versionId !== undefined) return false;
  const [from, to] = [src.mount.locate(src.path), dest.mount.locate(dest.path)];
  if (from.backend === to.backend && from.key === to.key) return true;
  const [source, target] = await Promise.all([realPath(src), realPath(dest)]);
  if (source === undefined || target === undefined) return false;
  if (source === target) return true;
  const [a, b] = await Promise.all([statOf(source), statOf(target)]);
  return a !== undefined && b !== undefined && sameInode(a, b);
}

/**
 * Whether the destination folder is the source folder or lies inside it, under whatever names: the same backend
 * instance once relative mounts are resolved, or (backends with real paths) inside the source's real path.
 */
export async function insideFolder(src: StorageNode, dest: StorageNode): Promise<boolean> {
  const [from, to] = [src.mount.locate(src.path), dest.mount.locate(dest.path)];
  if (from.backend === to.backend && isWithin(from.key, to.key)) return true;
  const [source, target] = await Promise.all([realPath(src), realPath(dest)]);
  if (source === undefined || target === undefined) return false;
  return target === source || target.startsWith(`${source}${sep}`);
}

/** The real path on this machine of a node whose backend has one (local); undefined otherwise or when refused. */
async function realPath(node: StorageNode): Promise<string | undefined> {
  const backend = node.backend;
  if (typeof backend.localPath !== 'function') return undefined;
  // A key that cannot be resolved (an escaping link, a file where a folder should be) is refused by the copy itself.
  return backend.localPath(node.path).catch(() => undefined);
}

/** The stats of an existing path (links followed), undefined when nothing is there. */
function statOf(path: string): Promise<Stats | undefined> {
  return stat(path).catch(() => undefined);
}

function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
