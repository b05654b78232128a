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

export type CatalogNode = FileNode | DirNode;

/** An entry that is not exposed, and why (zip-slip names, conflicts). */
export interface SkippedEntry {
  name: string;
  reason: string;
}

/**
 * The archive's entries as a tree of keys. Names are checked with the same `normalizeKey` as every other key:
 * absolute names, `..`, drive letters, control characters and the like are skipped (never exposed), so no key of
 * this backend can point outside the archive's root when extracted. Folders are synthesised from names.
 */
export class Catalog {
  private readonly nodes = new Map<string, CatalogNode>([['', { kind: 'dir', key: '', children: [] }]]);
  readonly skipped: SkippedEntry[] = [];

  get(key: string): CatalogNode | undefined {
    return this.nodes.get(key);
  }

  add(entry: yauzl.Entry): void {
    // Unicode path extra field first, then the UTF-8 flag, else CP437; backslashes become slashes.
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    const isDir = name.endsWith('/');
    if (/^([a-zA-Z]:|\/)/.test(name)) return this.skip(name, 'absolute path');
    let key: string;
    try {
      key = normalizeKey(isDir ? name.slice(0, -1) : name);
    } catch (err) {
      return this.skip(name, (err as Error).message);
    }
    if (key === '') return this.skip(name, 'empty name');
    const parent = this.folder(parentKey(key));
    if (!parent) return this.skip(name, 'a parent folder is also a file in this archive');
    const existing = this.nodes.get(key);
    if (isDir) {
      if (existing?.kind === 'file') return this.skip(name, 'a file of the same name comes first');
      const dir = this.folder(key)!;
      dir.mtime = entry.getLastModDate();
      return;
    }
    if (existing?.kind === 'dir') return this.skip(name, 'a folder of the same name comes first');
    // A later entry of the same name replaces the earlier one (what extracting the archive would leave).
    if (!existing) parent.children.push(key);
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
  entriesUnder(key: string, recursive: boolean): CatalogNode[] | 'file' {
    const folder = this.nodes.get(key);
    if (folder?.kind === 'file') return 'file';
    if (folder?.kind !== 'dir') return [];
    const out: CatalogNode[] = [];
    const visit = (dir: DirNode) => {
      for (const child of dir.children) {
        const node = this.nodes.get(child)!;
        out.push(node);
        if (recursive && node.kind === 'dir') visit(node);
      }
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

  private skip(name: string, reason: string): void {
    this.skipped.push({ name, reason });
  }
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
