import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, basename, join, sep } from 'node:path';
import { isWithin } from '@org/core';
import type { StorageNode } from '../node/storage-node.js';
import { locationOf, locationWithin, type KeyLocation } from '../util/location.js';

/**
 * Whether two nodes name the same object under different names, so that copying one onto the other would truncate
 * it and moving would delete it: the same key of the same backend instance once relative mounts are resolved (any
 * backend); the same file on this machine (backends with real paths: equal real paths, or the same device and
 * inode — links, bind mounts, hard links); the same location as the backends tell it (two S3, Azure or GCS mounts on
 * one bucket or container, one with a prefix; two SFTP mounts of one server; two Dropbox mounts of one account, or
 * two keys of one Dropbox mount, case ignored); or a local file that an SFTP server on this machine serves under the
 * same path (checked against the SFTP side's stat). A past version is never the current object. (A move to another
 * case of its own name on one mount is a rename, not a move onto itself: see `caseRename`.)
 */
export async function sameFile(src: StorageNode, dest: StorageNode): Promise<boolean> {
  if (src.versionId !== undefined) return false;
  const [from, to] = [src.mount.locate(src.path), dest.mount.locate(dest.path)];
  if (from.backend === to.backend && from.key === to.key) return true;
  const [source, target] = await Promise.all([realPath(src), realPath(dest)]);
  if (source !== undefined && target !== undefined) {
    if (source === target) return true;
    const [a, b] = await Promise.all([statOf(source), statOf(target)]);
    return a !== undefined && b !== undefined && sameInode(a, b);
  }
  const [here, there] = await Promise.all([locationOf(from.backend, from.key), locationOf(to.backend, to.key)]);
  if (here !== undefined && there !== undefined && here.url === there.url) return true;
  return (
    (await servedHere(source, dest, there, (a, b) => a === b)) ||
    (await servedHere(target, src, here, (a, b) => a === b))
  );
}

/**
 * Whether the destination folder is the source folder or lies inside it, under whatever names: the same backend
 * instance once relative mounts are resolved, inside the source's real path (backends with real paths), inside its
 * location (backends that tell one), or a local folder and an SFTP server on this machine (as `sameFile`).
 */
export async function insideFolder(src: StorageNode, dest: StorageNode): Promise<boolean> {
  const [from, to] = [src.mount.locate(src.path), dest.mount.locate(dest.path)];
  if (from.backend === to.backend && isWithin(from.key, to.key)) return true;
  const [source, target] = await Promise.all([realPath(src), realPath(dest)]);
  if (source !== undefined && target !== undefined) return pathWithin(source, target);
  const [here, there] = await Promise.all([locationOf(from.backend, from.key), locationOf(to.backend, to.key)]);
  if (here !== undefined && there !== undefined && locationWithin(here.url, there.url)) return true;
  return (
    (await servedHere(source, dest, there, (local, remote) => pathWithin(local, remote))) ||
    (await servedHere(target, src, here, (local, remote) => pathWithin(remote, local)))
  );
}

function pathWithin(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

/**
 * Whether `remote` (a node of an SFTP server on this machine, at `location`) may be the local path `local`
 * under another name: its path here, resolved as far as it exists, compares as `compare` says, and what is there
 * looks the same from both sides (kind, size for files, modification second; or nothing on either side). The
 * server may be another machine's file system behind a forwarded port; the stat comparison tells those apart
 * unless the same path holds an entry of the same size and second there too, which only refuses the copy.
 */
async function servedHere(
  local: string | undefined,
  remote: StorageNode,
  location: KeyLocation | undefined,
  compare: (local: string, remote: string) => boolean,
): Promise<boolean> {
  if (local === undefined || location?.localCandidate === undefined) return false;
  const candidate = await resolveExisting(location.localCandidate);
  if (!compare(local, candidate)) return false;
  const [here, there] = await Promise.all([statOf(location.localCandidate), remote.stat().catch(() => undefined)]);
  if (here === undefined || there === undefined) return here === undefined && there === undefined;
  if (here.isDirectory() !== there.isDir) return false;
  if (here.isFile() && here.size !== there.size) return false;
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return there.mtime === undefined || seconds(here.mtimeMs) === seconds(there.mtime.getTime());
}

/** The real path of `path`: its deepest existing ancestor resolved, the rest appended. */
async function resolveExisting(path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await resolveExisting(parent), basename(path));
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

/**
 * Whether the node's backend takes names that differ only in case for one name (the `caseInsensitive` capability:
 * Dropbox): a tree copied there must not send two source files to one destination file (see the copy engine).
 */
export function ignoresCase(node: StorageNode): boolean {
  return node.capabilities.caseInsensitive === true;
}

/** The name a key has where case is ignored: `Dir/A.txt` and `dir/a.txt` both `dir/a.txt`. */
export function caseFolded(key: string): string {
  return key.normalize('NFC').toLowerCase();
}

/**
 * Whether a move from `src` to `dest` gives a file or folder another case of its own name (`Photos` → `photos`):
 * one mount whose backend ignores case (Dropbox) and renames natively, keys equal once case-folded. Such a move is
 * one native rename (Dropbox's move_v2 takes a case-only rename), nothing copied or deleted, where it would
 * otherwise be refused as a move onto itself. A copy that way stays refused: it would overwrite its own source.
 */
export function caseRename(operation: 'copy' | 'move', src: StorageNode, dest: StorageNode): boolean {
  if (operation !== 'move' || src.versionId !== undefined || dest.versionId !== undefined) return false;
  if (src.mountName !== dest.mountName || src.backend !== dest.backend) return false;
  if (src.path === dest.path || src.path === '' || !ignoresCase(src)) return false;
  const backend = src.backend;
  if (!backend.capabilities.rename || typeof backend.rename !== 'function') return false;
  return caseFolded(src.path) === caseFolded(dest.path);
}
