import { isWithin, parentKey } from '@org/core';
import type { StorageNode } from '../node/storage-node.js';

/**
 * The folders a move emptied: the parents of moved files, up to the source root (the mount root excluded).
 * Folders that were empty before the move are not among them and stay.
 */
export class EmptiedFolders {
  private readonly paths = new Set<string>();

  constructor(private readonly root: StorageNode) {}

  /** Notes the folders above a file that was moved away. */
  add(file: StorageNode): void {
    if (!this.root.capabilities.directories) return; // folders are only key prefixes: nothing to remove
    const root = this.root.path;
    for (let folder = parentKey(file.path); folder !== '' && isWithin(root, folder); folder = parentKey(folder)) {
      if (this.paths.has(folder)) return;
      this.paths.add(folder);
      if (folder === root) return;
    }
  }

  /** Deletes those that are now empty, deepest first. Returns the failures (path, error). */
  async prune(signal?: AbortSignal): Promise<{ node: StorageNode; error: unknown }[]> {
    const failures: { node: StorageNode; error: unknown }[] = [];
    const deepestFirst = [...this.paths].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const path of deepestFirst) {
      signal?.throwIfAborted();
      const folder = this.root.nodeAt(path);
      try {
        // An entry a listing leaves out (a name that cannot be a key, an unreadable link) still fills the folder.
        let held = false;
        const hold = () => void (held = true);
        const page = await folder.listPage({ pageSize: 1, signal, onInvalidName: hold, onUnreadable: hold });
        if (page.nodes.length === 0 && !held) await folder.delete({ signal });
      } catch (error) {
        failures.push({ node: folder, error });
      }
    }
    return failures;
  }
}

/** A folder `moveEmptyFolders` could not list, make at the destination or remove. */
export interface FolderFailure {
  node: StorageNode;
  dest: StorageNode;
  error: unknown;
}

export interface MoveEmptyFoldersOptions {
  signal?: AbortSignal;
  /**
   * Source paths (`mount:path`, as `fullpath`) the move already reported as failed (a folder that could not be
   * listed, a folder `EmptiedFolders` could not remove): such a folder is held as it is, neither listed nor removed
   * again, so that one entry is one failure.
   */
  failed?: ReadonlySet<string>;
}

/**
 * After a whole tree moved (nothing left out by include/exclude/filter): the folders still in the source that hold
 * nothing — those that were empty before the move; `EmptiedFolders` already removed the ones the move emptied — are
 * made at the destination and removed from the source, deepest first, so that the tree moves as `mv` moves it. A
 * folder that still holds something (a skipped or failed file, an entry its listing could not read, a symbolic link)
 * stays, and so do the folders above it; the mount's root is never removed. A symbolic link to a folder is never
 * entered (the tree walk does not enter it either: what it points to is not part of the tree). A folder in `failed`
 * is held without being listed again; one that is gone when its turn comes (removed meanwhile by someone else) is
 * neither a failure nor made at the destination. Nothing to do where folders are only key prefixes, at the source or
 * at the destination (there `mkdir` makes nothing: the empty source folders stay). Returns the failures; an abort
 * rejects.
 */
export async function moveEmptyFolders(
  src: StorageNode,
  dest: StorageNode,
  options: MoveEmptyFoldersOptions = {},
): Promise<FolderFailure[]> {
  const { signal, failed } = options;
  const failures: FolderFailure[] = [];
  if (!src.capabilities.directories || !dest.capabilities.directories || !(await src.isDir())) return failures;
  /** True when `folder` held nothing (or only folders that were moved) and was moved. */
  const visit = async (folder: StorageNode, target: StorageNode): Promise<boolean> => {
    if (failed?.has(folder.fullpath)) return false;
    let empty = true;
    let listed = false;
    const hold = () => void (empty = false);
    try {
      for await (const child of folder.list({ signal, onInvalidName: hold, onUnreadable: hold })) {
        listed = true;
        // A link (even to a folder) is something the folder holds: never entered, never removed.
        const folderBelow = child.listed?.isDir === true && child.listed.isLink !== true;
        const moved = folderBelow ? await visit(child, target.child(child.basename)) : false;
        if (!moved) empty = false;
      }
      if (!empty) return false;
      signal?.throwIfAborted();
      // A missing folder lists as empty: one removed meanwhile (by another process) is gone, not made at the
      // destination.
      if (!listed && !folder.isRoot && !(await folder.exists())) return true;
      await target.mkdir({ parents: true, existOk: true });
      if (!folder.isRoot) await folder.delete({ signal });
      return true;
    } catch (error) {
      if (signal?.aborted) throw error;
      failures.push({ node: folder, dest: target, error });
      return false;
    }
  };
  await visit(src, dest);
  return failures;
}
