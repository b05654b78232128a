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
