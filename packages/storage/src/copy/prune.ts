import { readdir } from 'node:fs/promises';
import { isWithin, parentKey, type UfsError } from '@org/core';
import { invalidInput } from '../errors.js';
import { siteOf } from '../node/access.js';
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

  /**
   * Deletes those that are now empty, deepest first. Returns the failures (path, error).
   *
   * With `keepsEmptyFolders` (no `moveEmptyFolders` follows: a filtered move, or a destination without real
   * folders), a folder that still holds only empty folders (kept as they are) is checked for anything else: an entry
   * its listing does not show at all is found on the local disk (where the mount has local files), and the folder is
   * reported as not empty, as a delete of it alone would be. A file, link or unreadable entry that stays is already
   * accounted for (skipped, failed, left out by a filter, reported by the listing) and is not reported again.
   */
  async prune(signal?: AbortSignal, keepsEmptyFolders = false): Promise<{ node: StorageNode; error: unknown }[]> {
    const failures: { node: StorageNode; error: unknown }[] = [];
    const failed = new Set<string>();
    const deepestFirst = [...this.paths].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const path of deepestFirst) {
      signal?.throwIfAborted();
      const folder = this.root.nodeAt(path);
      try {
        const left = await leftIn(folder, failed, signal, !keepsEmptyFolders);
        if (left.kind === 'nothing') await folder.delete({ signal });
        else if (left.kind === 'folders' && keepsEmptyFolders) {
          const stray = await strayBelow(folder, left.folders, signal);
          if (stray !== undefined) throw notEmpty(folder, stray);
        }
      } catch (error) {
        failures.push({ node: folder, error });
        failed.add(path);
      }
    }
    return failures;
  }
}

/** What a folder still holds: nothing, only folders (listed, links excluded), or something else. */
type Left = { kind: 'nothing' } | { kind: 'folders'; folders: StorageNode[] } | { kind: 'other' };

/**
 * Lists a folder to see what it holds. An entry a listing leaves out (a name that cannot be a key, an unreadable
 * entry) still fills the folder; so does a folder below that already failed. The listing stops at the first entry
 * that is not a folder (with `anyEntry`, at the first entry: only whether the folder is empty matters).
 */
async function leftIn(
  folder: StorageNode,
  failed: ReadonlySet<string>,
  signal?: AbortSignal,
  anyEntry = false,
): Promise<Left> {
  let held = false;
  const hold = () => void (held = true);
  const folders: StorageNode[] = [];
  for await (const child of folder.list({ signal, onInvalidName: hold, onUnreadable: hold })) {
    const isFolder = child.listed?.isDir === true && child.listed.isLink !== true;
    if (anyEntry || held || !isFolder || failed.has(child.path)) return { kind: 'other' };
    folders.push(child);
  }
  if (held) return { kind: 'other' };
  return folders.length === 0 ? { kind: 'nothing' } : { kind: 'folders', folders };
}

/**
 * When the listings of `folder`'s folders (and of theirs) show nothing but folders: the key of an entry in one of
 * them that the listing does not show (seen on the local disk; never where the mount has no local files), else
 * undefined. Undefined too when a listing shows anything else (a file, a link, an entry it could not read): that is
 * accounted for already.
 */
async function strayBelow(
  folder: StorageNode,
  folders: StorageNode[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const tree: [StorageNode, StorageNode[]][] = [[folder, folders]];
  for (let i = 0; i < tree.length; i++) {
    for (const below of tree[i]![1]) {
      const left = await leftIn(below, new Set(), signal);
      if (left.kind === 'other') return undefined;
      tree.push([below, left.kind === 'folders' ? left.folders : []]);
    }
  }
  for (const [node, listed] of tree) {
    const stray = await unlistedIn(node, listed);
    if (stray !== undefined) return stray;
  }
  return undefined;
}

/** The key of an entry of a local folder that is not among `listed` (compared in NFC, as keys are). */
async function unlistedIn(folder: StorageNode, listed: StorageNode[]): Promise<string | undefined> {
  const backend = folder.mount.backend();
  if (!backend.localPath) return undefined;
  const names = new Set(listed.map((node) => node.basename.normalize('NFC')));
  const stray = (await readdir(await backend.localPath(folder.path))).find((name) => !names.has(name.normalize('NFC')));
  if (stray === undefined) return undefined;
  return folder.path === '' ? stray : `${folder.path}/${stray}`;
}

/** The refusal a delete of the folder alone gives, naming what was left in it. */
function notEmpty(folder: StorageNode, stray: string): UfsError {
  return invalidInput(siteOf(folder), 'delete', folder.path, `the folder is not empty ("${stray}" was not moved)`);
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
 * neither a failure nor made at the destination. A source whose folders are key prefixes (S3, GCS, Azure) is walked
 * too: an empty folder there is a marker object (`folder/`, as S3's `mkdir` and consoles write), made at the
 * destination and deleted with the folder. Nothing to do where the destination has no real folders (the empty
 * source folders stay). Returns the failures; an abort rejects.
 */
export async function moveEmptyFolders(
  src: StorageNode,
  dest: StorageNode,
  options: MoveEmptyFoldersOptions = {},
): Promise<FolderFailure[]> {
  const { signal, failed } = options;
  const failures: FolderFailure[] = [];
  if (!dest.capabilities.directories || !(await src.isDir())) return failures;
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
