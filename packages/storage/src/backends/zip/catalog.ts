import { normalizeKey, parentKey, type EntryStat } from '@org/core';
import yauzl from 'yauzl';

export interface FileNode {
  kind: 'file';
  key: string;
  entry: yauzl.Entry;
}

export interface DirNode {
  kind: 'dir';
  key: string;
  /** Child keys; sorted once the catalog is complete. */
  children: string[];
  /** From an explicit `name/` entry, when the archive has one. */
  mtime?: Date;
}

/** An entry that is not exposed, and why (zip-slip names, conflicts, symbolic links). */
export interface SkippedEntry {
  name: string;
  reason: string;
}

/** A skipped entry as listings report it, in the folder it would be in (the root for a name outside the archive). */
export interface SkippedNode extends SkippedEntry {
  kind: 'skipped';
  /** The entry's name as it is (a trailing slash dropped): the listing's report names it. */
  key: string;
  /** The folder whose listings report it. */
  folder: string;
}

export type CatalogNode = FileNode | DirNode;
export type ListedNode = CatalogNode | SkippedNode;

/**
 * The archive's entries as a tree of keys. Names are checked with the same `normalizeKey` as every other key:
 * absolute names, `..`, drive letters, control characters and the like are skipped (never exposed), so no key of
 * this backend can point outside the archive's root when extracted. Folders are synthesised from names.
 */
export class Catalog {
  private readonly nodes = new Map<string, CatalogNode>([['', { kind: 'dir', key: '', children: [] }]]);
  readonly skipped: SkippedEntry[] = [];
  /** Skipped entries by the folder whose listings report them. */
  private readonly skippedIn = new Map<string, SkippedNode[]>();

  get(key: string): CatalogNode | undefined {
    return this.nodes.get(key);
  }

  add(entry: yauzl.Entry): void {
    // Unicode path extra field first, then the UTF-8 flag, else CP437; backslashes become slashes.
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    const isDir = name.endsWith('/');
    if (/^([a-zA-Z]:|\/)/.test(name)) return this.skip(name, 'it is an absolute path');
    let key: string;
    try {
      key = normalizeKey(isDir ? name.slice(0, -1) : name);
    } catch (err) {
      return this.skip(name, (err as Error).message.replace(/^\[ufs\] invalid path "(?:[^"\\]|\\.)*": /, ''));
    }
    if (key === '') return this.skip(name, 'its name is empty');
    const parent = this.folder(parentKey(key));
    if (!parent) return this.skip(name, 'a parent folder is also a file in this archive', key);
    const existing = this.nodes.get(key);
    if (isSymbolicLink(entry)) {
      // Its data is the link's target, maybe outside the archive (`/etc/passwd`): never exposed as a file holding
      // that text, nor followed. An earlier file of the same name is replaced by it, as extracting would.
      if (existing?.kind === 'file') {
        this.nodes.delete(key);
        parent.children.splice(parent.children.indexOf(key), 1);
        this.skip(name, 'a later entry of the same name replaces it', key);
      }
      return this.skip(name, 'it is a symbolic link (zip mounts do not follow links)', key);
    }
    if (isDir) {
      if (existing?.kind === 'file') return this.skip(name, 'a file of the same name comes first', key);
      const dir = this.folder(key)!;
      dir.mtime = entry.getLastModDate();
      return;
    }
    if (existing?.kind === 'dir') return this.skip(name, 'a folder of the same name comes first', key);
    // A later entry of the same name replaces the earlier one (what extracting the archive would leave): reported.
    if (!existing) parent.children.push(key);
    else this.skip(name, 'a later entry of the same name replaces it', key);
    this.nodes.set(key, { kind: 'file', key, entry });
  }

  /** Sorts children; call once after the last `add`. */
  seal(): void {
    for (const node of this.nodes.values()) if (node.kind === 'dir') node.children.sort();
  }

  /**
   * Entries directly under `key`, or every entry below it (depth first, sorted). Empty for a missing folder;
   * `'file'` when `key` is a file (the caller refuses to list it, as every backend with folders does).
   */
  entriesUnder(key: string, recursive: boolean): ListedNode[] | 'file' {
    const folder = this.nodes.get(key);
    if (folder?.kind === 'file') return 'file';
    if (folder?.kind !== 'dir') return [];
    const out: ListedNode[] = [];
    const visit = (dir: DirNode) => {
      for (const child of dir.children) {
        const node = this.nodes.get(child)!;
        out.push(node);
        if (recursive && node.kind === 'dir') visit(node);
      }
      // Entries left out are listed (as reports) in the folder they would be in, never passed over in silence.
      out.push(...(this.skippedIn.get(dir.key) ?? []));
    };
    visit(folder);
    return out;
  }

  private folder(key: string): DirNode | undefined {
    const existing = this.nodes.get(key);
    if (existing) return existing.kind === 'dir' ? existing : undefined;
    const parent = this.folder(parentKey(key));
    if (!parent) return undefined;
    const dir: DirNode = { kind: 'dir', key, children: [] };
    parent.children.push(key);
    this.nodes.set(key, dir);
    return dir;
  }

  /** Records a skipped entry; `key` is its normalised key when it has one (its folder's listings report it). */
  private skip(name: string, reason: string, key?: string): void {
    this.skipped.push({ name, reason });
    let folder = key === undefined ? '' : parentKey(key);
    while (folder !== '' && this.nodes.get(folder)?.kind !== 'dir') folder = parentKey(folder);
    const shown = name.endsWith('/') ? name.slice(0, -1) : name;
    const node: SkippedNode = { kind: 'skipped', key: shown, folder, name, reason };
    const list = this.skippedIn.get(folder);
    if (list) list.push(node);
    else this.skippedIn.set(folder, [node]);
  }
}

/** File types in the Unix mode (high 16 bits of the external attributes) that archivers such as Info-ZIP store. */
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * A symbolic link entry (`zip -y`, Python's zipfile with mode 0o120777): Unix mode bits in the high half of the
 * external attributes say so. Archives made elsewhere leave that half 0.
 */
function isSymbolicLink(entry: yauzl.Entry): boolean {
  return ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

export function statOf(node: CatalogNode): EntryStat {
  if (node.kind === 'dir') return { key: node.key, isFile: false, isDir: true, size: 0, mtime: node.mtime };
  const { entry } = node;
  return {
    key: node.key,
    isFile: true,
    isDir: false,
    size: entry.uncompressedSize,
    mtime: entry.getLastModDate(),
    // CRC-32 and size identify the content well enough for caching; it is not an md5/sha256 stored hash.
    etag: `"${entry.crc32.toString(16).padStart(8, '0')}-${entry.uncompressedSize}"`,
  };
}
