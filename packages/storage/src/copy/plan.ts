import { stat } from 'node:fs/promises';
import { describeContext, toUfsError, UfsError } from '@org/core';
import { kindOf } from '../backends/local/list.js';
import { backendFor } from '../node/access.js';
import type { StorageNode } from '../node/storage-node.js';
import { isStorageNode, type ReadableNode } from '../virtual/readable-node.js';
import { caseRename, insideFolder, sameFile } from './identity.js';

/** One file to transfer: where it comes from, where it goes, its path relative to the source root. */
export interface CopyItem {
  src: ReadableNode;
  dest: StorageNode;
  relative: string;
  /**
   * A file of a tree whose source and destination may still be one file under two names (a link inside the
   * source folder): checked just before it is transferred.
   */
  checkSame?: boolean;
  /**
   * A symbolic link to a folder in a tree (listed with `isLink`): never walked into (no cycles, no files taken out of
   * a folder outside the tree), so nothing is transferred; the run reports it unless `exclude` names it.
   */
  folderLink?: boolean;
  /**
   * A move that only changes the case of the name on one mount that ignores case (see `caseRename`): one native
   * rename, never skipped (the destination is the source itself).
   */
  caseRename?: boolean;
}

/** A single file, or a folder whose files are listed lazily (one listing page in memory at a time). */
export type CopyPlan =
  | { kind: 'file'; item: CopyItem }
  | {
      kind: 'tree';
      root: StorageNode;
      /**
       * The files below the root, as the listing yields them; a name that can never be a key, or an entry that
       * cannot be read, goes to `onLeftOut`.
       */
      items: (signal: AbortSignal, onLeftOut: (error: UfsError) => void) => AsyncGenerator<CopyItem>;
    }
  /** A file or folder renamed to another case of its name on one mount that ignores case (see `caseRename`). */
  | { kind: 'rename'; item: CopyItem & { src: StorageNode }; folder: boolean };

export type Operation = 'copy' | 'move';

function invalid(operation: Operation, src: ReadableNode, dest: StorageNode, detail: string): UfsError {
  const context = { operation, path: src.fullpath, dest: dest.fullpath };
  return new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context });
}

/** The refusal of a copy or move of a file onto itself: the same path, or another name for the same file. */
export function sameFileError(operation: Operation, src: StorageNode, dest: StorageNode): UfsError {
  const alias =
    src.mountName === dest.mountName && src.path === dest.path ? '' : ` ("${dest.fullpath}" is another name for it)`;
  return invalid(operation, src, dest, `source and destination are the same file${alias}`);
}

/** Two nodes of the same mount (one backend instance): paths compare directly. */
export function sameBackend(a: ReadableNode, b: StorageNode): a is StorageNode {
  return isStorageNode(a) && a.mountName === b.mountName && a.backend === b.backend;
}

/**
 * Works out what a copy or move does: file → file (the destination is the file's new path; a folder there is
 * INVALID_INPUT) or folder → folder (the source's files go below the destination, keeping their relative paths).
 * Refuses copying onto itself or into its own tree; a move to another case of its own name where case is ignored is
 * one rename (`kind: 'rename'`). A missing source is NOT_FOUND.
 */
export async function planCopy(
  operation: Operation,
  src: ReadableNode,
  dest: StorageNode,
  signal?: AbortSignal,
): Promise<CopyPlan> {
  if (!isStorageNode(dest)) throw invalid(operation, src, dest, 'the destination must be a node of a mount');
  if (dest.versionId !== undefined) throw invalid(operation, src, dest, 'cannot write to a past version');
  if (!isStorageNode(src)) {
    if (operation === 'move') throw invalid(operation, src, dest, 'a virtual node cannot be moved; copy it');
    if (dest.folderOnly || (await dest.isDir())) throw invalid(operation, src, dest, folderInTheWay(dest, src));
    return { kind: 'file', item: { src, dest, relative: src.basename } };
  }
  if (operation === 'move') {
    if (src.versionId !== undefined) throw invalid(operation, src, dest, 'a past version cannot be moved; copy it');
    // A move deletes its sources: a mount that may not delete (or a backend that cannot) refuses it up front.
    backendFor(src, 'move', 'delete', 'delete');
  }
  const stat = await src.stat({ signal });
  if (caseRename(operation, src, dest) && (stat.isFile || stat.isDir)) {
    // Refused up front when the mount may not write there, as a rename of the whole name would be.
    backendFor(dest, 'move', 'write', 'rename', 'rename');
    return { kind: 'rename', item: { src, dest, relative: src.basename, caseRename: true }, folder: !stat.isFile };
  }
  if (stat.isFile) {
    // sameFile covers one path of one mount too (same backend instance and key).
    if (await sameFile(src, dest)) throw sameFileError(operation, src, dest);
    // A destination written with a trailing `/` names a folder: the file would need its own name below it.
    if (dest.folderOnly || (await dest.isDir())) throw invalid(operation, src, dest, folderInTheWay(dest, src));
    return { kind: 'file', item: { src, dest, relative: src.basename } };
  }
  // A FIFO, socket or device (local and SFTP mounts) is neither: refused as its read is (a dangling link, also
  // neither, is reported by the listing below as NOT_FOUND).
  if (!stat.isDir && stat.isLink !== true) {
    const context = { operation, path: src.fullpath, dest: dest.fullpath };
    const detail = `is ${await specialKind(src)}, not a regular file`;
    throw new UfsError('UNSUPPORTED', `${describeContext(context)} ${detail}`, { context });
  }
  if (await insideFolder(src, dest)) throw invalid(operation, src, dest, 'the destination is inside the source folder');
  if (await dest.isFile())
    throw invalid(operation, src, dest, `the source is a folder and "${dest.fullpath}" is a file`);
  const offset = src.path === '' ? 0 : src.path.length + 1;
  return {
    kind: 'tree',
    root: src,
    items: async function* (listSignal, onLeftOut) {
      const listing = { recursive: true, signal: listSignal, onInvalidName: onLeftOut, onUnreadable: onLeftOut };
      for await (const node of src.list(listing)) {
        const folderLink = node.listed?.isDir === true && node.listed.isLink === true;
        if (!node.listed?.isFile && !folderLink) continue;
        const relative = node.path.slice(offset);
        let target: StorageNode;
        try {
          // The whole key is checked, as the listing's own keys are: a name below a folder may look like a drive
          // letter (`tc/c:x.txt`), a key of the mount root may not (`c:x.txt`).
          target = dest.nodeAt(dest.path === '' ? relative : `${dest.path}/${relative}`);
        } catch (err) {
          // A name the destination cannot take fails that file alone; the listing goes on.
          onLeftOut(leftOut(operation, node, err));
          continue;
        }
        yield folderLink
          ? { src: node, dest: target, relative, folderLink }
          : { src: node, dest: target, relative, checkSame: true };
      }
    },
  };
}

/** The failure of a listed file that cannot be planned, naming it (`context.path`) as a left-out entry does. */
function leftOut(operation: Operation, node: StorageNode, err: unknown): UfsError {
  const inner = toUfsError(err);
  return new UfsError(inner.code, inner.message, {
    context: { ...inner.context, operation, path: node.fullpath },
    cause: inner,
  });
}

/** What a source that is neither a file nor a folder is: read from the disk where the mount has local files. */
async function specialKind(src: StorageNode): Promise<string> {
  const generic = 'neither a file nor a folder';
  const backend = src.mount.backend();
  if (!backend.localPath) return generic;
  try {
    return kindOf(await stat(await backend.localPath(src.path)));
  } catch {
    return generic;
  }
}

function folderInTheWay(dest: StorageNode, src: ReadableNode): string {
  return `"${dest.fullpath}" is a folder; give the file's full destination path (e.g. dest.child("${src.basename}"))`;
}
