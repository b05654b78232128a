import { randomBytes } from 'node:crypto';
import type { EntryStat, VersionInfo } from '@org/core';
import { compareKeys } from '../../util/paginate.js';

/** One stored version of a file (content buffers are never mutated, so versions and copies share them). */
export interface MemoryVersion {
  versionId: string;
  data: Buffer;
  md5: string;
  mtime: Date;
  contentType?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  deleteMarker: boolean;
}

export function newVersionId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The memory backend's data: files with their versions (oldest first) and explicit folders. Every parent folder of a
 * file is a folder, like on a disk. Without versioning a file keeps exactly one version.
 */
export class MemoryStore {
  readonly files = new Map<string, MemoryVersion[]>();
  readonly dirs = new Set<string>();

  constructor(readonly versioning: boolean) {}

  /** The live version of a file, or undefined (missing, or deleted behind a delete marker). */
  current(key: string): MemoryVersion | undefined {
    const versions = this.files.get(key);
    const last = versions?.[versions.length - 1];
    return last && !last.deleteMarker ? last : undefined;
  }

  version(key: string, versionId: string): MemoryVersion | undefined {
    return this.files.get(key)?.find((v) => v.versionId === versionId && !v.deleteMarker);
  }

  isDir(key: string): boolean {
    return key === '' || this.dirs.has(key);
  }

  /** The nearest ancestor that is a live file (writing below a file is not possible). */
  fileAncestor(key: string): string | undefined {
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      const ancestor = key.slice(0, i);
      if (this.current(ancestor)) return ancestor;
    }
    return undefined;
  }

  addParents(key: string): void {
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) this.dirs.add(key.slice(0, i));
  }

  /** Stores a new live version (replacing the only one when not versioning). */
  put(key: string, version: MemoryVersion): void {
    this.addParents(key);
    const versions = this.versioning ? (this.files.get(key) ?? []) : [];
    versions.push(version);
    this.files.set(key, versions);
  }

  /** Deletes a live file: a delete marker when versioning, gone otherwise. */
  remove(key: string): void {
    if (!this.current(key)) return;
    if (!this.versioning) {
      this.files.delete(key);
      return;
    }
    this.files.get(key)!.push({
      versionId: newVersionId(),
      data: Buffer.alloc(0),
      md5: '',
      mtime: new Date(),
      metadata: {},
      deleteMarker: true,
    });
  }

  /** Keys of live files and folders strictly below `folder` (all depths). */
  below(folder: string): { files: string[]; dirs: string[] } {
    const prefix = folder === '' ? '' : `${folder}/`;
    const files = [...this.files.keys()].filter((k) => k.startsWith(prefix) && this.current(k));
    const dirs = [...this.dirs].filter((k) => k.startsWith(prefix));
    return { files, dirs };
  }

  entry(key: string, version?: MemoryVersion): EntryStat | undefined {
    const file = version ?? this.current(key);
    if (file) {
      return {
        key,
        isFile: true,
        isDir: false,
        size: file.data.byteLength,
        mtime: file.mtime,
        etag: `"${file.md5}"`,
        contentType: file.contentType,
        cacheControl: file.cacheControl,
        versionId: this.versioning ? file.versionId : undefined,
        metadata: { ...file.metadata },
        hash: { algorithm: 'md5', value: file.md5 },
      };
    }
    return this.isDir(key) ? { key, isFile: false, isDir: true, size: 0 } : undefined;
  }

  /** Entries under a folder, sorted in `compareKeys` order. */
  listing(folder: string, recursive: boolean): EntryStat[] {
    const { files, dirs } = this.below(folder);
    const depth = folder === '' ? 0 : folder.split('/').length;
    const keys = [...files, ...dirs].filter((k) => recursive || k.split('/').length === depth + 1);
    return [...new Set(keys)].sort(compareKeys).map((k) => this.entry(k)!);
  }

  versionsOf(key: string): VersionInfo[] {
    const versions = this.files.get(key) ?? [];
    return versions
      .map((v, i) => ({
        versionId: v.versionId,
        isLatest: i === versions.length - 1,
        isDeleteMarker: v.deleteMarker,
        size: v.data.byteLength,
        mtime: v.mtime,
        etag: v.deleteMarker ? undefined : `"${v.md5}"`,
      }))
      .reverse();
  }

  /** Deletes one version for good. */
  dropVersion(key: string, versionId: string): boolean {
    const versions = this.files.get(key);
    const index = versions?.findIndex((v) => v.versionId === versionId) ?? -1;
    if (!versions || index < 0) return false;
    versions.splice(index, 1);
    if (versions.length === 0) this.files.delete(key);
    return true;
  }
}
