import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  capabilities,
  describeContext,
  toUfsError,
  UfsError,
  type BackendCapabilities,
  type CopyOptions,
  type DeleteOptions,
  type EntryStat,
  type ErrorCode,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type ReadOptions,
  type StorageBackend,
  type VersionInfo,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import { pageOf, pageSizeOf } from '../../util/paginate.js';
import { asBuffers, bufferStream, checkRange, type ByteSource } from '../../util/streams.js';
import { MemoryStore, newVersionId, type MemoryVersion } from './store.js';

/**
 * Everything in this process's memory: for tests, caches and scratch space. Content is held whole (that is what a
 * memory backend is); reads still stream in 64 KiB chunks. Writes become visible only when complete, `ifNotExists`
 * is checked at that moment (atomically: nothing else runs between check and store), and an MD5 is stored with
 * every file. With `versioning`, overwrites and deletes keep old versions (deletes leave a delete marker).
 */
export class MemoryBackend implements StorageBackend {
  readonly protocol = 'memory';
  readonly capabilities: BackendCapabilities;
  private store: MemoryStore;

  constructor(private readonly options: { versioning?: boolean; mountName: string }) {
    this.store = new MemoryStore(options.versioning === true);
    this.capabilities = capabilities({
      read: true,
      write: true,
      delete: true,
      list: true,
      recursiveList: true,
      range: true,
      append: true,
      copy: true,
      rename: true,
      versioning: options.versioning === true,
      versionDelete: options.versioning === true,
      metadata: true,
      directories: true,
      storedHash: 'md5',
      atomicWrite: true,
      conditionalWrite: true,
      setModified: true,
      // A Date, kept as given.
      modifiedPrecisionMs: 1,
    });
    if (options.versioning) this.versions = async (key: string) => this.store.versionsOf(key);
  }

  /** Versions of a key, newest first (only with `versioning`). */
  versions?: (key: string) => Promise<VersionInfo[]>;

  private error(code: ErrorCode, operation: string, key: string, detail: string): UfsError {
    const context = {
      backend: 'memory',
      operation,
      path: `${this.options.mountName}:${key}`,
      mount: this.options.mountName,
    };
    return new UfsError(code, `${describeContext(context)} ${detail}`, { context });
  }

  private fail(err: unknown, operation: string, key: string): UfsError {
    return toUfsError(err, {
      backend: 'memory',
      operation,
      path: `${this.options.mountName}:${key}`,
      mount: this.options.mountName,
    });
  }

  private live(key: string, operation: string, versionId?: string): MemoryVersion {
    const version = versionId === undefined ? this.store.current(key) : this.store.version(key, versionId);
    if (version) return version;
    if (versionId === undefined && this.store.isDir(key))
      throw this.error('INVALID_INPUT', operation, key, 'is a folder, not a file');
    throw this.error(
      'NOT_FOUND',
      operation,
      key,
      versionId === undefined ? 'no such file' : `no version "${versionId}"`,
    );
  }

  private checkWritable(key: string, operation: string): void {
    if (key === '' || this.store.dirs.has(key))
      throw this.error('INVALID_INPUT', operation, key, 'is a folder, not a file');
    const ancestor = this.store.fileAncestor(key);
    if (ancestor !== undefined)
      throw this.error('INVALID_INPUT', operation, key, `"${ancestor}" is a file, not a folder`);
  }

  private static async collect(source: ByteSource, signal: AbortSignal | undefined, onProgress?: (n: number) => void) {
    const chunks: Buffer[] = [];
    const md5 = createHash('md5');
    let size = 0;
    signal?.throwIfAborted();
    for await (const chunk of asBuffers(source)) {
      signal?.throwIfAborted();
      chunks.push(chunk);
      md5.update(chunk);
      size += chunk.byteLength;
      onProgress?.(size);
    }
    return { data: Buffer.concat(chunks, size), md5: md5.digest('hex') };
  }

  async stat(key: string, options: { versionId?: string } = {}): Promise<EntryStat | null> {
    if (options.versionId !== undefined) {
      const version = this.store.version(key, options.versionId);
      return version ? this.store.entry(key, version)! : null;
    }
    return this.store.entry(key) ?? null;
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const { start, end } = checkRange(options);
    const { data } = this.live(key, 'read', options.versionId);
    return bufferStream(data.subarray(Math.min(start, data.byteLength), end === undefined ? undefined : end + 1));
  }

  async write(key: string, source: ByteSource, options: WriteOptions = {}): Promise<WriteResult> {
    try {
      this.checkWritable(key, 'write');
      const exists = () => this.store.current(key) !== undefined;
      if (options.ifNotExists && exists())
        throw this.error('ALREADY_EXISTS', 'write', key, 'already exists (ifNotExists)');
      const { data, md5 } = await MemoryBackend.collect(source, options.signal, options.onProgress);
      // Checked again at commit: another write may have landed while this one was streaming.
      this.checkWritable(key, 'write');
      if (options.ifNotExists && exists())
        throw this.error('ALREADY_EXISTS', 'write', key, 'already exists (ifNotExists)');
      const version: MemoryVersion = {
        versionId: newVersionId(),
        data,
        md5,
        mtime: options.mtime ? new Date(options.mtime.getTime()) : new Date(),
        contentType: options.contentType,
        cacheControl: options.cacheControl,
        metadata: { ...options.metadata },
        deleteMarker: false,
      };
      this.store.put(key, version);
      return {
        key,
        size: data.byteLength,
        etag: `"${md5}"`,
        versionId: this.store.versioning ? version.versionId : undefined,
      };
    } catch (err) {
      throw this.fail(err, 'write', key);
    }
  }

  async list(key: string, options: ListOptions = {}): Promise<ListPage> {
    const refuse = (detail: string) => this.error('INVALID_INPUT', 'list', key, detail);
    // Refused before anything is looked at, as on every backend (a folder that is not there too).
    pageSizeOf(options, refuse);
    if (this.store.current(key) && key !== '')
      throw this.error('INVALID_INPUT', 'list', key, 'is a file, not a folder');
    if (!this.store.isDir(key)) return { entries: [] };
    try {
      const recursive = options.recursive ?? false;
      // Memory has no temporary files, but a cursor still belongs to its listing's options (as on SFTP): one of a
      // listing with `includeTemporary` given to one without, or the reverse, is refused like another folder's.
      const includeTemporary = options.includeTemporary === true;
      return pageOf(this.store.listing(key, recursive), options, { key, recursive, includeTemporary, refuse });
    } catch (err) {
      throw this.fail(err, 'list', key);
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    if (options.versionId !== undefined) {
      if (!this.store.versioning) throw this.error('UNSUPPORTED', 'delete', key, 'this memory mount keeps no versions');
      this.store.dropVersion(key, options.versionId);
      return;
    }
    if (this.store.current(key)) return this.store.remove(key);
    if (!this.store.isDir(key)) return;
    const { files, dirs } = this.store.below(key);
    if (!options.recursive) {
      if (key === '')
        throw this.error('INVALID_INPUT', 'delete', key, 'the mount root can only be emptied (recursive)');
      if (files.length > 0 || dirs.length > 0)
        throw this.error('INVALID_INPUT', 'delete', key, 'the folder is not empty (delete it with recursive)');
    }
    for (const file of files) this.store.remove(file);
    for (const dir of dirs) this.store.dirs.delete(dir);
    if (key !== '') this.store.dirs.delete(key);
  }

  async mkdir(key: string, options: MkdirOptions = {}): Promise<void> {
    if (this.store.current(key)) throw this.error('ALREADY_EXISTS', 'mkdir', key, 'a file is in the way');
    if (this.store.isDir(key)) {
      if (options.existOk) return;
      throw this.error('ALREADY_EXISTS', 'mkdir', key, 'the folder already exists');
    }
    const ancestor = this.store.fileAncestor(key);
    if (ancestor !== undefined)
      throw this.error('INVALID_INPUT', 'mkdir', key, `"${ancestor}" is a file, not a folder`);
    const parent = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    if (!options.parents && !this.store.isDir(parent)) {
      const missing = `${this.options.mountName}:${parent}`;
      throw this.error('NOT_FOUND', 'mkdir', key, 'the parent folder does not exist (use parents)').withContext({
        missing,
      });
    }
    this.store.addParents(key);
    this.store.dirs.add(key);
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    const source = this.live(from, 'copy');
    this.checkWritable(to, 'copy');
    this.store.put(to, {
      ...source,
      versionId: newVersionId(),
      mtime: options.mtime ? new Date(options.mtime.getTime()) : new Date(),
      metadata: { ...(options.metadata ?? source.metadata) },
    });
  }

  async rename(from: string, to: string): Promise<void> {
    if (from === to) {
      if (this.store.current(from) || this.store.dirs.has(from)) return;
      throw this.error('NOT_FOUND', 'rename', from, 'no such file or folder');
    }
    const file = this.store.current(from);
    if (file) {
      this.checkWritable(to, 'rename');
      // A rename keeps the file's modification time, as on a disk.
      this.store.put(to, { ...file, versionId: newVersionId() });
      this.store.remove(from);
      return;
    }
    if (from === '' || !this.store.dirs.has(from))
      throw this.error('NOT_FOUND', 'rename', from, 'no such file or folder');
    if (to === from || to.startsWith(`${from}/`))
      throw this.error('INVALID_INPUT', 'rename', from, 'cannot move a folder into itself');
    if (this.store.current(to) || this.store.fileAncestor(to) !== undefined)
      throw this.error('ALREADY_EXISTS', 'rename', to, 'a file is in the way');
    const { files, dirs } = this.store.below(from);
    const moved = (k: string) => `${to}${k.slice(from.length)}`;
    this.store.addParents(to);
    this.store.dirs.add(to);
    for (const dir of dirs) this.store.dirs.add(moved(dir));
    for (const key of files) this.store.put(moved(key), { ...this.store.current(key)!, versionId: newVersionId() });
    await this.delete(from, { recursive: true });
  }

  async append(key: string, source: ByteSource, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      this.checkWritable(key, 'append');
      const { data } = await MemoryBackend.collect(source, options.signal);
      const before = this.store.current(key);
      const joined = before ? Buffer.concat([before.data, data]) : data;
      this.store.put(key, {
        versionId: newVersionId(),
        data: joined,
        md5: createHash('md5').update(joined).digest('hex'),
        mtime: new Date(),
        contentType: before?.contentType,
        cacheControl: before?.cacheControl,
        metadata: { ...before?.metadata },
        deleteMarker: false,
      });
    } catch (err) {
      throw this.fail(err, 'append', key);
    }
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    this.live(key, 'setMetadata').metadata = { ...metadata };
  }

  async dispose(): Promise<void> {
    this.store = new MemoryStore(this.store.versioning);
  }
}
