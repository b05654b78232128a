import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  capabilities,
  describeContext,
  isUfsError,
  toUfsError,
  UfsError,
  type EntryStat,
  type ErrorContext,
  type ListOptions,
  type ListPage,
  type ReadOptions,
  type StorageBackend,
  type WriteResult,
} from '@org/core';
import yauzl from 'yauzl';
import { keyContext } from '../../errors.js';
import { bindToken, pageSizeOf, tokenOf, type CursorListing } from '../../util/paginate.js';
import { unreadableEntry } from '../../util/unreadable.js';
import { rangeLength, requestedRange } from '../http/range.js';
import { Catalog, statOf, type FileNode, type ListedNode } from './catalog.js';
import { BackendRandomAccessReader, copyToTempFile, type TempCopy } from './source-reader.js';

export const PROTOCOL = 'zip';

export interface ZipBackendOptions {
  /** The backend holding the archive (another mount's backend). */
  source: StorageBackend;
  /** The archive's key on `source`. */
  key: string;
  /** Where to copy archives whose source cannot read ranges. Default: the OS temp folder. */
  tempDir?: string;
}

interface OpenArchive {
  zipfile: yauzl.ZipFile;
  catalog: Catalog;
  reader?: BackendRandomAccessReader;
  temp?: TempCopy;
}

/** The archive as one version of the source file: its index is valid while this stays the same. */
function identityOf(stat: EntryStat): string {
  return JSON.stringify([stat.size, stat.etag ?? null, stat.mtime?.getTime() ?? null, stat.versionId ?? null]);
}

const YAUZL_OPTIONS = { autoClose: false, lazyEntries: true, decodeStrings: false, validateEntrySizes: true };

/**
 * Read-only view of a zip archive stored on another backend. The central directory is read lazily and kept while
 * the archive stays the same: every stat, list and read first stats the archive (one request, shared by concurrent
 * calls), and a changed size, ETag, mtime or version makes it read the new archive's index.
 */
export class ZipBackend implements StorageBackend {
  readonly protocol = PROTOCOL;
  // Read-only entries of an archive: no modification time can be given to them (setModified false).
  readonly capabilities = capabilities({
    read: true,
    list: true,
    recursiveList: true,
    range: true,
    directories: true,
    setModified: false,
    // Entries' times are MS-DOS dates: two seconds.
    modifiedPrecisionMs: 2000,
  });
  /** The open archive and the version of the source file it was read from. */
  private opened: { identity: string; archive: Promise<OpenArchive> } | undefined;
  /** The stat of the archive in flight, shared by concurrent calls. */
  private checking: Promise<EntryStat | null> | undefined;

  constructor(
    private readonly options: ZipBackendOptions,
    private readonly mountName = PROTOCOL,
  ) {}

  /** Entries that are not exposed (hostile or conflicting names), with the reason; opens the archive if needed. */
  async skippedEntries(): Promise<{ name: string; reason: string }[]> {
    return [...(await this.archive('open')).catalog.skipped];
  }

  async stat(key: string, options: { versionId?: string } = {}): Promise<EntryStat | null> {
    if (options.versionId !== undefined) this.refuse('stat', key, 'zip entries have no versions');
    const node = (await this.archive('stat', key)).catalog.get(key);
    return node ? statOf(node) : null;
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const context = this.ctx('read', key);
    if (options.versionId !== undefined) this.refuse('read', key, 'zip entries have no versions');
    requestedRange(options, context); // a bad range fails before the archive is opened
    if (options.signal?.aborted) throw new UfsError('ABORTED', `${describeContext(context)} aborted`, { context });
    const open = await this.archive('read', key);
    try {
      return await this.readEntry(open, key, options, context);
    } catch (err) {
      // The archive changed and its index was replaced (and closed) meanwhile: read the new one.
      if (this.opened !== undefined && (await this.opened.archive.catch(() => undefined)) === open) throw err;
      return this.readEntry(await this.archive('read', key), key, options, context);
    }
  }

  private async readEntry(
    { zipfile, catalog }: OpenArchive,
    key: string,
    options: ReadOptions,
    context: ErrorContext,
  ): Promise<Readable> {
    const range = requestedRange(options, context);
    const node = catalog.get(key);
    if (!node) throw new UfsError('NOT_FOUND', `${describeContext(context)} no such entry in the archive`, { context });
    if (node.kind === 'dir')
      throw new UfsError('INVALID_INPUT', `${describeContext(context)} is a folder`, { context });
    const { entry } = node;
    if (!entry.canDecodeFileData()) {
      const why = entry.isEncrypted() ? 'encrypted entries' : `compression method ${entry.compressionMethod}`;
      throw new UfsError('UNSUPPORTED', `${describeContext(context)} ${why} cannot be read`, { context });
    }
    const size = entry.uncompressedSize;
    const start = Math.min(range?.start ?? 0, size);
    const limit = range ? Math.min(rangeLength(range) ?? size, size - start) : size;
    let raw: Readable;
    let skip = 0;
    try {
      if (!range) raw = await zipfile.openReadStreamPromise(entry);
      else if (limit === 0) return Readable.from([]);
      else if (entry.compressionMethod === 0) {
        // Stored: the entry's bytes are the archive's bytes, so a range maps to a range read of the source.
        raw = await zipfile.openReadStreamPromise(entry, { decodeFileData: false, start, end: start + limit });
      } else {
        // Deflated: inflate from the entry's start and drop the bytes before `start` (streamed, never held).
        raw = await zipfile.openReadStreamPromise(entry);
        skip = start;
      }
    } catch (err) {
      throw this.mapError(err, context);
    }
    const checked = range ? undefined : entry.crc32;
    const stream = Readable.from(this.entryBytes(raw, node, { skip, limit, crc: checked }, context), {
      objectMode: false,
    });
    const { signal } = options;
    if (signal) {
      const onAbort = () => stream.destroy(new UfsError('ABORTED', `${describeContext(context)} aborted`, { context }));
      signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return stream;
  }

  async list(key: string, options: ListOptions = {}): Promise<ListPage> {
    const context = this.ctx('list', key);
    const pageSize = pageSizeOf(
      options,
      (detail) => new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context }),
    );
    const { catalog } = await this.archive('list', key);
    // The cursor is an offset in this listing, bound to it (the archive as it is now, the folder, recursive or not):
    // an offset in another listing (another archive, or this one changed) would resume at a wrong place: refused.
    const listing: CursorListing = {
      key,
      recursive: options.recursive ?? false,
      scope: `${this.options.key}\u0000${this.opened?.identity ?? ''}`,
      refuse: (detail) => new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context }),
    };
    const offset = options.cursor === undefined ? 0 : Number(tokenOf(options.cursor, listing));
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new UfsError('INVALID_INPUT', `${describeContext(context)} bad cursor or page size`, { context });
    const all = catalog.entriesUnder(key, options.recursive ?? false);
    if (all === 'file')
      throw new UfsError('INVALID_INPUT', `${describeContext(context)} "${key}" is a file, not a folder`, { context });
    const page = all.slice(offset, offset + pageSize);
    const next = offset + page.length;
    const cursor = next < all.length ? bindToken(String(next), listing) : undefined;
    return { entries: page.map((node) => this.listed(node)), cursor };
  }

  /** A listed node; an entry left out (a zip-slip name, a conflict, a link) is an unreadable entry saying why. */
  private listed(node: ListedNode): EntryStat {
    if (node.kind !== 'skipped') return statOf(node);
    const context = this.ctx('list', node.key);
    const why = `archive entry ${JSON.stringify(node.name)} is not exposed: ${node.reason}`;
    return unreadableEntry(node.key, new UfsError('INVALID_INPUT', `${describeContext(context)} ${why}`, { context }));
  }

  async write(key: string): Promise<WriteResult> {
    this.refuse('write', key, 'zip mounts are read-only');
  }
  async delete(key: string): Promise<void> {
    this.refuse('delete', key, 'zip mounts are read-only');
  }
  async mkdir(key: string): Promise<void> {
    this.refuse('mkdir', key, 'zip mounts are read-only');
  }

  async dispose(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    const open = await opened?.archive.catch(() => undefined);
    if (open) await closeArchive(open);
  }

  /** Requests made to the source by range reads (tests, diagnostics); undefined before opening or for a temp copy. */
  async sourceRequestCount(): Promise<number | undefined> {
    return (await this.opened?.archive.catch(() => undefined))?.reader?.sourceReads;
  }

  private async *entryBytes(
    raw: Readable,
    node: FileNode,
    plan: { skip: number; limit: number; crc: number | undefined },
    context: ErrorContext,
  ): AsyncGenerator<Buffer> {
    let { skip, limit } = plan;
    let crc = 0;
    // On a checked read the last chunk is held back until the CRC-32 is known: a damaged entry fails the stream
    // before its end (a consumer sees the error, an HTTP client a truncated answer), never ends as complete.
    let held: Buffer | undefined;
    try {
      for await (const data of raw) {
        let chunk = data as Buffer;
        if (plan.crc !== undefined) crc = crc32(chunk, crc);
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length);
          skip -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.length > limit) chunk = chunk.subarray(0, limit);
        limit -= chunk.length;
        if (plan.crc === undefined) {
          if (chunk.length > 0) yield chunk;
          if (limit === 0) return;
        } else if (chunk.length > 0) {
          if (held) yield held;
          held = chunk;
        }
      }
    } catch (err) {
      throw this.mapError(err, context);
    }
    if (plan.crc !== undefined && crc >>> 0 !== plan.crc >>> 0) {
      throw new UfsError('INTEGRITY', `${describeContext(context)} CRC-32 mismatch in entry "${node.key}"`, {
        context,
      });
    }
    if (held) yield held;
  }

  /**
   * The archive's index, checked against the source first: when the archive was replaced (another size, ETag,
   * mtime or version) or removed, the old index is dropped and the current archive is opened.
   */
  private async archive(operation: string, path = ''): Promise<OpenArchive> {
    const { key } = this.options;
    let stat: EntryStat | null;
    try {
      stat = await (this.checking ??= this.options.source.stat(key).finally(() => (this.checking = undefined)));
    } catch (err) {
      throw this.mapError(err, this.ctx(operation, path));
    }
    if (!stat?.isFile) {
      this.retire();
      // Named as the key asked for in this mount, as every error of the mount is; the archive is in the message.
      const context = { ...this.ctx(operation, path), archive: key };
      throw new UfsError('NOT_FOUND', `${describeContext(context)} the archive "${key}" is not on the source mount`, {
        context,
      });
    }
    const identity = identityOf(stat);
    if (this.opened?.identity !== identity) {
      this.retire();
      this.opened = { identity, archive: this.open(stat) };
    }
    const opened = this.opened;
    return opened.archive.catch((err: unknown) => {
      // Not cached: a later call tries again (the archive may have been uploaded since).
      if (this.opened === opened) this.opened = undefined;
      throw this.mapError(err, this.ctx(operation, path));
    });
  }

  /** Drops the index of an archive that changed; reads already streaming from it finish first (yauzl's refcount). */
  private retire(): void {
    const old = this.opened;
    this.opened = undefined;
    void old?.archive.then(closeArchive, () => undefined);
  }

  private async open(stat: EntryStat): Promise<OpenArchive> {
    const { source, key } = this.options;
    // On a versioned source, every read is pinned to the version this index describes.
    const versionId = source.capabilities.versioning ? stat.versionId : undefined;
    let reader: BackendRandomAccessReader | undefined;
    let temp: TempCopy | undefined;
    let zipfile: yauzl.ZipFile;
    try {
      if (source.capabilities.range) {
        reader = new BackendRandomAccessReader(source, key, stat.size, versionId);
        zipfile = await yauzl.fromRandomAccessReaderPromise(reader, stat.size, YAUZL_OPTIONS);
      } else {
        temp = await copyToTempFile(source, key, this.options.tempDir, versionId);
        zipfile = await yauzl.openPromise(temp.path, YAUZL_OPTIONS);
      }
    } catch (err) {
      await temp?.remove();
      throw err;
    }
    const catalog = new Catalog();
    try {
      for await (const entry of zipfile.eachEntry()) catalog.add(entry);
    } catch (err) {
      zipfile.close();
      await temp?.remove();
      throw err;
    }
    catalog.seal();
    return { zipfile, catalog, reader, temp };
  }

  private mapError(err: unknown, context: ErrorContext): UfsError {
    if (err instanceof Error && err.message === 'closed') {
      return new UfsError('UNAVAILABLE', `${describeContext(context)} the archive changed during the read; retry`, {
        context,
        cause: err,
        retryable: true,
      });
    }
    if (isUfsError(err)) return err.withContext(context);
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    // zlib data errors, yauzl's size and signature checks: the archive's bytes are not what they claim.
    if (
      (typeof code === 'string' && /^Z_/.test(code)) ||
      /signature|bytes in the stream|unexpected EOF|overflows|invalid|mismatch|not found|truncated/i.test(message)
    ) {
      return new UfsError('INTEGRITY', `${describeContext(context)} damaged archive: ${message}`, {
        context,
        cause: err,
      });
    }
    return toUfsError(err, context);
  }

  private ctx(operation: string, key: string): ErrorContext {
    return keyContext({ mount: this.mountName, protocol: PROTOCOL }, operation, key);
  }

  private refuse(operation: string, path: string, why: string): never {
    const context = this.ctx(operation, path);
    throw new UfsError('UNSUPPORTED', `${describeContext(context)} ${why}`, { context });
  }
}

async function closeArchive(open: OpenArchive): Promise<void> {
  open.zipfile.close();
  await open.temp?.remove();
}
