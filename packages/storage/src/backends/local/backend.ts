import { constants, type Stats } from 'node:fs';
import { access, lstat, mkdir, open, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import {
  isUfsError,
  capabilities,
  parentKey,
  type BackendCapabilities,
  type CopyOptions,
  type DeleteOptions,
  type EntryStat,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type ReadOptions,
  type StorageBackend,
  type WriteOptions,
  type WriteResult,
  type UfsError,
} from '@org/core';
import { urlJoiner } from '../../util/join-url.js';
import { linkEntry } from '../../util/links.js';
import { compareKeys, decodeCursor, encodeCursor, pageSizeOf, type CursorListing } from '../../util/paginate.js';
import { checkRange, type ByteSource } from '../../util/streams.js';
import { entryOf, kindOf, walk } from './list.js';
import { pageOfWalk, WalkRests, type WalkRest } from './walk-rests.js';
import { LocalPaths, keyBelow, type LocalRoot, type SegmentRoot } from './paths.js';
import { NotUtf8Name } from './names.js';
import { emptyTree, removeTree } from './remove-tree.js';
import { appendTo, atomicCopy, atomicWrite } from './write.js';
import { folderEntry } from '../../util/entries.js';

export interface LocalBackendOptions {
  root?: LocalRoot;
  segmentRoot?: SegmentRoot;
  /** Public URL of the root folder (a web server serving it): enables `publicUrl`. */
  baseUrl?: string;
  /** fsync each written file before it is renamed into place (durable, slower). Default true. */
  fsync?: boolean;
  mountName: string;
}

/** The stats of a path, or undefined when nothing is there (other errors are thrown). */
async function ifExists(pending: Promise<Stats>): Promise<Stats | undefined> {
  try {
    return await pending;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Files in a folder of this machine. Keys arrive normalised; paths are confined to the root (links included). */
export class LocalBackend implements StorageBackend {
  readonly protocol = 'local';
  readonly capabilities: BackendCapabilities;
  private readonly paths: LocalPaths;
  /** Walks stopped after a page, resumed by the next page's cursor (see WalkRests). */
  private readonly rests = new WalkRests();

  constructor(private readonly options: LocalBackendOptions) {
    this.paths = new LocalPaths(options);
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
      publicUrl: options.baseUrl !== undefined,
      directories: true,
      atomicWrite: true,
      conditionalWrite: true,
      // utimes on the temporary file before it is renamed into place.
      setModified: true,
      // Node's stat() gives milliseconds (mtimeMs), utimes() takes them.
      modifiedPrecisionMs: 1,
    });
    if (options.baseUrl !== undefined) {
      const urlOf = urlJoiner(options.baseUrl);
      this.publicUrl = (key: string) => urlOf(key.split('/').map(encodeURIComponent).join('/'));
    }
  }

  publicUrl?: (key: string) => string;

  private noVersions(versionId: string | undefined, operation: string, key: string): void {
    if (versionId !== undefined)
      throw this.paths.error('UNSUPPORTED', operation, key, 'the local backend keeps no versions');
  }

  async stat(key: string, options: { versionId?: string } = {}): Promise<EntryStat | null> {
    this.noVersions(options.versionId, 'stat', key);
    try {
      if (key === '' && this.paths.segmented) return folderEntry(key);
      let real: string | null;
      try {
        real = await this.paths.existing(key, 'stat');
      } catch (err) {
        // A link out of the mount root: the link itself is inside and is described (never what it points to).
        const link = isUfsError(err) && err.code === 'PERMISSION_DENIED' ? await this.unfollowedLink(key) : null;
        if (link) return link;
        throw err;
      }
      return real === null ? await this.unfollowedLink(key) : entryOf(key, await stat(real));
    } catch (err) {
      throw this.paths.fail(err, 'stat', key);
    }
  }

  /**
   * A symbolic link that is not followed — dangling, or pointing out of the mount root — is there (as `stat` without
   * -L, `ls -l` and `rm` see it): described as neither file nor folder, so that it can be deleted (the link itself,
   * see `delete`), while reading through it finds nothing (dangling) or is refused (out of the root). Null when the
   * last segment of `key` is no link.
   */
  private async unfollowedLink(key: string): Promise<EntryStat | null> {
    if (key === '') return null;
    const entry = await this.paths.entry(key, 'stat');
    const stats = entry && !entry.isRoot ? await ifExists(lstat(entry.path)) : undefined;
    if (!stats?.isSymbolicLink()) return null;
    return linkEntry({ key, isFile: false, isDir: false, size: 0, mtime: stats.mtime });
  }

  /** The refusal of a read of a FIFO, socket or device (as listings report them). */
  private notRegular(key: string, stats: Stats): UfsError {
    return this.paths.error('UNSUPPORTED', 'read', key, `is ${kindOf(stats)}, not a regular file`);
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    this.noVersions(options.versionId, 'read', key);
    const { start, end } = checkRange(options);
    try {
      options.signal?.throwIfAborted();
      const real = await this.paths.existing(key, 'read');
      if (real === null) throw this.paths.error('NOT_FOUND', 'read', key, 'no such file');
      // A FIFO, socket or device is refused before it is opened (opening a FIFO waits for a writer, a device may
      // act on being opened), and once more after: O_NONBLOCK keeps an open of one put there meanwhile from waiting.
      const before = await stat(real);
      if (!before.isFile() && !before.isDirectory()) throw this.notRegular(key, before);
      const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
      const stats = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      if (!stats.isFile()) {
        await handle.close();
        if (!stats.isDirectory()) throw this.notRegular(key, stats);
        throw this.paths.error('INVALID_INPUT', 'read', key, 'is a folder, not a file');
      }
      // A small file gets a buffer its size (plus one byte to see the end) rather than the default 64 KiB.
      const highWaterMark = Math.min(65536, stats.size + 1);
      return handle.createReadStream({ start, end, signal: options.signal, highWaterMark });
    } catch (err) {
      throw this.paths.fail(err, 'read', key);
    }
  }

  async write(key: string, source: ByteSource, options: WriteOptions = {}): Promise<WriteResult> {
    try {
      options.signal?.throwIfAborted();
      if (key === '') throw this.paths.error('INVALID_INPUT', 'write', key, 'the mount root is a folder, not a file');
      const { path: target, stats: existing, parentExists } = await this.paths.forWriteStat(key, 'write');
      if (existing?.isDirectory()) throw this.paths.error('INVALID_INPUT', 'write', key, 'is a folder, not a file');
      if (existing && options.ifNotExists)
        throw this.paths.error('ALREADY_EXISTS', 'write', key, 'already exists (ifNotExists)');
      const mode = existing?.isFile() ? existing.mode & 0o7777 : undefined;
      const size = await atomicWrite(target, source, {
        ...options,
        fsync: this.options.fsync ?? true,
        known: { mode, parentExists },
      });
      return { key, size };
    } catch (err) {
      throw this.paths.fail(err, 'write', key);
    }
  }

  async list(key: string, options: ListOptions = {}): Promise<ListPage> {
    try {
      // Refused before anything is looked at, as on every backend (a folder that is not there too).
      const size = pageSizeOf(options, (detail) => this.paths.error('INVALID_INPUT', 'list', key, detail));
      if (key === '' && this.paths.segmented) {
        throw this.paths.error(
          'INVALID_INPUT',
          'list',
          key,
          'the top of a per-segment mount cannot be listed; list a segment',
        );
      }
      const real = await this.paths.existing(key, 'list');
      if (real === null) {
        if (await this.unfollowedLink(key))
          throw this.paths.error('NOT_FOUND', 'list', key, 'is a dangling symbolic link (its target does not exist)');
        return { entries: [] };
      }
      const stats = await stat(real);
      if (!stats.isDirectory())
        throw this.paths.error(
          'INVALID_INPUT',
          'list',
          key,
          `is ${stats.isFile() ? 'a file' : kindOf(stats)}, not a folder`,
        );
      const { root } = await this.paths.locate(key, 'list');
      const realRoot = (await this.paths.realRoot(root!, false)) ?? real;
      // A cursor belongs to its listing: this folder of this root, recursive or not, with temporary files or not (see
      // util/paginate.ts).
      const listing: CursorListing = {
        key,
        recursive: options.recursive ?? false,
        includeTemporary: options.includeTemporary === true,
        scope: realRoot,
        refuse: (detail) => this.paths.error('INVALID_INPUT', 'list', key, detail),
      };
      let after: string[] | undefined;
      let last: string | undefined;
      if (options.cursor !== undefined) {
        last = decodeCursor(options.cursor, listing);
        const prefix = key === '' ? '' : `${key}/`;
        if (!last.startsWith(prefix) || last === prefix)
          throw this.paths.error('INVALID_INPUT', 'list', key, 'the cursor belongs to another listing');
        after = last.slice(prefix.length).split('/');
      }
      // A page after the first resumes the walk its cursor stopped (each folder read once for the whole listing);
      // when that walk is gone or its folders changed since, the folders on the way down to the cursor are read again.
      options.signal?.throwIfAborted();
      const restId = (cursor: string) => `${real}\u0000${key}\u0000${cursor}`;
      const rest = options.cursor === undefined ? undefined : await this.rests.take(restId(options.cursor));
      const keep = (cursor: string, kept: WalkRest) => this.rests.keep(restId(cursor), kept);
      const cursorOf = (lastKey: string) => encodeCursor(lastKey, listing);
      if (rest) {
        rest.options.signal = options.signal;
        return await pageOfWalk(rest, size, cursorOf, keep);
      }
      const walkOptions: WalkRest['options'] = {
        recursive: options.recursive ?? false,
        includeTemporary: options.includeTemporary ?? false,
        realRoot,
        signal: options.signal,
        fail: (err, entryKey) => this.paths.fail(err, 'list', entryKey),
        refuse: (code, entryKey, detail) => this.paths.error(code, 'list', entryKey, detail),
        open: [],
      };
      const sequence = walk(real, key, after, walkOptions);
      const returned = last === undefined ? undefined : (entry: EntryStat) => compareKeys(entry.key, last) <= 0;
      return await pageOfWalk({ walk: sequence, options: walkOptions }, size, cursorOf, keep, returned);
    } catch (err) {
      throw this.paths.fail(err, 'list', key);
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    this.noVersions(options.versionId, 'delete', key);
    try {
      const entry = await this.paths.entry(key, 'delete');
      if (entry === null) return;
      if (entry.isRoot) {
        if (!options.recursive)
          throw this.paths.error('INVALID_INPUT', 'delete', key, 'the mount root can only be emptied (recursive)');
        // Every child is tried (as `rm -r` goes on past what it cannot remove); the first refusal is thrown at the end,
        // listing every name below that is not valid UTF-8.
        return await emptyTree(entry.path).catch((err: unknown) => {
          throw this.#deleteError(err, keyBelow(key, entry.path, err));
        });
      }
      const stats = await ifExists(lstat(entry.path));
      if (!stats) return;
      if (!stats.isDirectory()) return await unlink(entry.path);
      if (options.recursive) {
        // The entry that could not be removed is named (`a/locked`), not only the folder asked for (`a`).
        return await removeTree(entry.path).catch((err: unknown) => {
          throw this.#deleteError(err, keyBelow(key, entry.path, err));
        });
      }
      try {
        await rmdir(entry.path);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST')
          throw this.paths.error('INVALID_INPUT', 'delete', key, 'the folder is not empty (delete it with recursive)');
        throw err;
      }
    } catch (err) {
      throw this.paths.fail(err, 'delete', key);
    }
  }

  /** The failure of a delete at `key` (a name below it that is not valid UTF-8 is INVALID_INPUT, saying so). */
  #deleteError(err: unknown, key: string): UfsError {
    if (err instanceof NotUtf8Name) return this.paths.error('INVALID_INPUT', 'delete', key, err.message);
    return this.paths.fail(err, 'delete', key);
  }

  async mkdir(key: string, options: MkdirOptions = {}): Promise<void> {
    try {
      if (key === '' && this.paths.segmented) return;
      const target = await this.paths.forWrite(key, 'mkdir');
      const existing = await ifExists(stat(target));
      if (existing) {
        if (!existing.isDirectory()) throw this.paths.error('ALREADY_EXISTS', 'mkdir', key, 'a file is in the way');
        if (options.existOk) return;
        throw this.paths.error('ALREADY_EXISTS', 'mkdir', key, 'the folder already exists');
      }
      try {
        await mkdir(target, { recursive: options.parents ?? false });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') {
          const missing = this.paths.context('mkdir', parentKey(key)).path;
          throw this.paths
            .error('NOT_FOUND', 'mkdir', key, 'the parent folder does not exist (use parents)')
            .withContext({ missing });
        }
        if ((err as { code?: unknown }).code === 'EEXIST' && options.existOk) return;
        throw err;
      }
    } catch (err) {
      throw this.paths.fail(err, 'mkdir', key);
    }
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    try {
      const source = await this.paths.existing(from, 'copy');
      if (source === null) throw this.paths.error('NOT_FOUND', 'copy', from, 'no such file');
      if (!(await stat(source)).isFile())
        throw this.paths.error('INVALID_INPUT', 'copy', from, 'is a folder; copy files one by one');
      const target = await this.paths.forWrite(to, 'copy');
      await this.fileGoesTo(target, to);
      await atomicCopy(source, target, options.mtime).catch(async (err: unknown) => {
        throw await this.refusedBy(err, target, to);
      });
    } catch (err) {
      throw this.paths.fail(err, 'copy', from);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      const entry = await this.paths.entry(from, 'rename');
      if (entry?.isRoot) throw this.paths.error('INVALID_INPUT', 'rename', from, 'the mount root cannot be moved');
      const exists = entry && (await ifExists(lstat(entry.path)));
      if (!entry || !exists) throw this.paths.error('NOT_FOUND', 'rename', from, 'no such file or folder');
      const target = await this.paths.forWrite(to, 'rename');
      if (exists.isDirectory()) {
        await mkdir(dirname(target), { recursive: true }).catch((err: unknown) => {
          throw this.paths.fail(err, 'write', to);
        });
      } else await this.fileGoesTo(target, to);
      await rename(entry.path, target).catch(async (err: unknown) => {
        // Two file systems under one mount (`/tmp` and `/dev/shm` below `/`): no rename can join them. UNSUPPORTED
        // says so, and a move then copies and deletes instead (see copy/transfer.ts), as `mv` does.
        if ((err as { code?: unknown }).code === 'EXDEV')
          throw this.paths.error(
            'UNSUPPORTED',
            'rename',
            from,
            `is on another file system than "${to}": it cannot be renamed there`,
          );
        throw await this.refusedBy(err, target, to);
      });
    } catch (err) {
      throw this.paths.fail(err, 'rename', from);
    }
  }

  async append(key: string, source: ByteSource, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      const target = await this.paths.forWrite(key, 'append');
      if ((await ifExists(stat(target)))?.isDirectory())
        throw this.paths.error('INVALID_INPUT', 'append', key, 'is a folder, not a file');
      await appendTo(target, source, options.signal);
    } catch (err) {
      throw this.paths.fail(err, 'append', key);
    }
  }

  /**
   * Makes the folder a file is copied or renamed into; a folder that cannot be made, or a folder where the file
   * would go, is always the destination's refusal (`write "to"`).
   */
  private async fileGoesTo(target: string, to: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true }).catch((err: unknown) => {
      throw this.paths.fail(err, 'write', to);
    });
    if ((await stat(target).catch(() => undefined))?.isDirectory())
      throw this.paths.error('INVALID_INPUT', 'write', to, 'is a folder, not a file');
  }

  /**
   * A failed OS copy or rename does not say which side refused. It names the destination (`write "to"`) when the
   * destination's folder may not be written by this process; otherwise the error stays the source's (the caller
   * names it `copy` or `rename "from"`): a sticky folder, another device, a source that cannot be read or leave.
   */
  private async refusedBy(err: unknown, target: string, to: string): Promise<unknown> {
    const writable = await access(dirname(target), constants.W_OK).then(
      () => true,
      () => false,
    );
    return writable ? err : this.paths.fail(err, 'write', to);
  }

  /** The real path of a key inside the root (it may not exist yet). */
  async localPath(key: string): Promise<string> {
    try {
      return await this.paths.forWrite(key, 'localPath');
    } catch (err) {
      throw this.paths.fail(err, 'localPath', key);
    }
  }
}
