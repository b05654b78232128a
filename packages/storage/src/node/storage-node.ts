import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  baseName,
  joinKey,
  normalizeKey,
  parentKey,
  type BackendCapabilities,
  type StorageBackend,
  type UfsError,
} from '@org/core';
import { copyNode, moveNode } from '../copy/engine.js';
import type { CopyOptions, CopySummary, MoveOptions } from '../copy/types.js';
import { invalidInput, unsupported } from '../errors.js';
import { serveNode, type ServeOptions, type ServeResult } from '../serve/serve.js';
import type { Mount } from '../manager/mount.js';
import { siteOf } from './access.js';
import { callProgram, type CallArgument, type CallOptions, type CallResult } from './call.js';
import { childrenOf, deleteNode, listNodes, listPage, mkdirNode, type NodePage } from './folders.js';
import { localPathOf, type LocalPathHandle, type LocalPathOptions } from './local-path.js';
import { mimetypeOf, stemOf, suffixOf } from './names.js';
import { createReadStream, openRead, readBytes, readText } from './read.js';
import { hashNode, statNode, statOrNull } from './stat.js';
import type {
  ByteSource,
  DeleteNodeOptions,
  HashKind,
  ListNodeOptions,
  MkdirNodeOptions,
  NodeStat,
  NodeWriteOptions,
  ReadStreamOptions,
  UrlOptions,
  VersionInfo,
  WriteOutcome,
} from './types.js';
import { metadataOf, setMetadataOf, uploadUrlOf, urlOf } from './urls.js';
import { asOfNode, checkVersionId, compactVersionsOf, deleteVersionOf, versionsOf } from './versions.js';
import { appendNode, NodeWriteStream, writeBytes, writeNode, writeText } from './write.js';

/** What a node needs from its manager: the mount behind a name (throws when there is none). */
export interface NodeHost {
  resolveMount(name: string): Mount;
  /** Where problems that do not stop an operation go (a listed name left out); `console.warn` when absent. */
  warn?(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A file or folder in a mount: `storage.node('photos:2024/a.jpg')`. Nodes are cheap values (a mount name and a
 * normalised path); every operation goes to the mount's backend at call time. A path can never leave its mount:
 * it is normalised once here (`..`, NUL, backslashes, encoded traversal are refused), `child()` checks each part, and
 * `parent` stops at the mount root.
 */
export class StorageNode {
  /** Name of the mount. */
  readonly mountName: string;
  /** Normalised path inside the mount (`''` is the root). */
  readonly path: string;
  /** Set on nodes from `atVersion()`/`asOf()`: reads and stat see that version. */
  readonly versionId: string | undefined;
  /** The entry's stat as the listing gave it (nodes yielded by `list()`/`children()`), to spare a `stat()`. */
  readonly listed: NodeStat | undefined;
  /**
   * True when the path was written with a trailing `/` (`b:docs/`): it names a folder. A file there makes
   * every operation but `mkdir` fail with INVALID_INPUT ("… is a file, not a folder"), and writing or appending
   * to it is refused; `path` stays the normalised key (no trailing `/`).
   */
  readonly folderOnly: boolean;
  readonly #host: NodeHost;

  /** Use `storage.node()`; keys given here are normalised again. */
  constructor(
    host: NodeHost,
    mountName: string,
    path: string,
    options: { versionId?: string; listed?: NodeStat; folderOnly?: boolean } = {},
  ) {
    this.#host = host;
    this.mountName = mountName;
    this.path = normalizeKey(path);
    if (options.versionId !== undefined) checkVersionId(this, 'atVersion', options.versionId);
    this.versionId = options.versionId;
    this.listed = options.listed;
    // The root is a folder anyway.
    this.folderOnly = this.path !== '' && (options.folderOnly ?? path.endsWith('/'));
  }

  // ---- names -------------------------------------------------------------------------------------------------

  /** `mount:path/to/file.txt` (`mount:` for the root). */
  get fullpath(): string {
    return `${this.mountName}:${this.path}`;
  }
  /** `file.txt` (`''` for the root). */
  get basename(): string {
    return baseName(this.path);
  }
  /** `file` of `file.txt`, `archive.tar` of `archive.tar.gz`. */
  get stem(): string {
    return stemOf(this.basename);
  }
  /** `.txt` (with the dot; `''` when none). */
  get suffix(): string {
    return suffixOf(this.basename);
  }
  /** `txt` (without the dot). */
  get ext(): string {
    return this.suffix.slice(1);
  }
  /** The folder holding this node; the root's parent is the root (never above the mount). */
  get parent(): StorageNode {
    return this.nodeAt(parentKey(this.path));
  }
  /** Full path of the parent folder: `mount:path/to`. */
  get dirname(): string {
    return this.parent.fullpath;
  }
  /** MIME type from the name (`application/octet-stream` when unknown). */
  get mimetype(): string {
    return mimetypeOf(this.basename);
  }
  get isRoot(): boolean {
    return this.path === '';
  }
  /** A node below this one; every part is checked (`..` and other escapes are INVALID_INPUT). */
  child(...parts: string[]): StorageNode {
    const bad = parts.findIndex((part) => typeof part !== 'string');
    if (bad >= 0)
      throw invalidInput(
        siteOf(this),
        'child',
        this.path,
        `each part must be a string, not ${typeof parts[bad]} ${String(parts[bad])} (part ${bad + 1})`,
      );
    const folderOnly = parts.length > 0 && parts[parts.length - 1]!.endsWith('/');
    return new StorageNode(this.#host, this.mountName, joinKey(this.path, ...parts), { folderOnly });
  }
  /** A node of the same mount at another path (normalised; a trailing `/` makes it `folderOnly`). */
  nodeAt(path: string, listed?: NodeStat): StorageNode {
    return new StorageNode(this.#host, this.mountName, path, { listed });
  }
  toString(): string {
    return this.fullpath;
  }
  toJSON(): string {
    return this.fullpath;
  }
  equals(other: StorageNode): boolean {
    return other.mountName === this.mountName && other.path === this.path && other.versionId === this.versionId;
  }

  // ---- the mount ---------------------------------------------------------------------------------------------

  /** The mount behind this node (resolved now: a replaced mount is seen by existing nodes). */
  get mount(): Mount {
    return this.#host.resolveMount(this.mountName);
  }
  /** The mount's effective backend (layers and permissions applied), for engines built on nodes. */
  get backend(): StorageBackend {
    return this.mount.backend();
  }
  /** What this node's mount can do (after permissions). */
  get capabilities(): BackendCapabilities {
    return this.backend.capabilities;
  }

  // ---- metadata ----------------------------------------------------------------------------------------------

  /** Size, mtime, kind, etag, content type, version and user metadata. NOT_FOUND when missing. */
  stat(options: { signal?: AbortSignal } = {}): Promise<NodeStat> {
    return statNode(this, options.signal);
  }
  async exists(): Promise<boolean> {
    return (await statOrNull(this)) !== null;
  }
  async isFile(): Promise<boolean> {
    return (await statOrNull(this))?.isFile ?? false;
  }
  async isDir(): Promise<boolean> {
    return (await statOrNull(this))?.isDir ?? false;
  }
  async size(): Promise<number> {
    return (await this.stat()).size;
  }
  async mtime(): Promise<Date | undefined> {
    return (await this.stat()).mtime;
  }
  /** Lowercase hex checksum: the backend's stored one when of this kind, else computed while streaming. */
  hash(algorithm: HashKind = 'sha256', options: { signal?: AbortSignal } = {}): Promise<string> {
    return hashNode(this, algorithm, options.signal);
  }
  /** User metadata (`{}` when none). */
  getMetadata(): Promise<Record<string, string>> {
    return metadataOf(this);
  }
  /** Replaces user metadata where the backend keeps it (`metadata` capability); UNSUPPORTED elsewhere. */
  setMetadata(metadata: Record<string, string>): Promise<void> {
    return setMetadataOf(this, metadata);
  }

  // ---- reading -----------------------------------------------------------------------------------------------

  /** A stream of the content or of the inclusive byte range `start..end`; opens lazily, errors arrive as events. */
  createReadStream(options: ReadStreamOptions = {}): Readable {
    return createReadStream(this, options);
  }
  /** Like `createReadStream` but opened now: NOT_FOUND and other errors reject here. */
  openReadStream(options: ReadStreamOptions = {}): Promise<Readable> {
    return openRead(this, options);
  }
  readBytes(options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Buffer> {
    return readBytes(this, options);
  }
  readText(encoding: BufferEncoding = 'utf8'): Promise<string> {
    try {
      this.#checkEncoding('read', encoding);
    } catch (err) {
      return Promise.reject(err);
    }
    return readText(this, encoding);
  }
  /** INVALID_INPUT naming the encoding when Node has no such text encoding (`utf-9`). */
  #checkEncoding(operation: string, encoding: unknown): void {
    if (typeof encoding !== 'string' || !Buffer.isEncoding(encoding))
      throw invalidInput(
        siteOf(this),
        operation,
        this.path,
        `unknown text encoding ${typeof encoding === 'string' ? JSON.stringify(encoding) : String(encoding)} (utf8, utf16le, latin1, ascii, base64, base64url, hex)`,
      );
  }

  // ---- writing -----------------------------------------------------------------------------------------------

  /**
   * Writes a stream, an async iterable or bytes in memory (parents created as needed); atomic on backends that allow
   * it. A write that fails or is refused destroys the stream it was given.
   */
  write(source: ByteSource | Uint8Array, options: NodeWriteOptions = {}): Promise<WriteOutcome> {
    return writeNode(this, source, options);
  }
  writeBytes(bytes: Uint8Array, options: NodeWriteOptions = {}): Promise<WriteOutcome> {
    return writeBytes(this, bytes, options);
  }
  writeText(text: string, options: NodeWriteOptions & { encoding?: BufferEncoding } = {}): Promise<WriteOutcome> {
    try {
      if (typeof text !== 'string')
        throw invalidInput(siteOf(this), 'write', this.path, `writeText takes a string, not ${typeof text}`);
      if (options.encoding !== undefined) this.#checkEncoding('write', options.encoding);
    } catch (err) {
      return Promise.reject(err);
    }
    return writeText(this, text, options);
  }
  /** A writable stream into the node; `await stream.done()` for the outcome. */
  createWriteStream(options: NodeWriteOptions = {}): NodeWriteStream {
    return new NodeWriteStream((source) => writeNode(this, source, options));
  }
  /** Appends (native append only; UNSUPPORTED elsewhere). */
  append(source: ByteSource | Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    return appendNode(this, source, options);
  }

  // ---- folders -----------------------------------------------------------------------------------------------

  mkdir(options: MkdirNodeOptions = {}): Promise<void> {
    return mkdirNode(this, options);
  }
  /** Direct children (files and folders). Names that cannot be keys and unreadable entries are left out (see `onInvalidName`, `onUnreadable`). */
  children(
    options: Pick<ListNodeOptions, 'glob' | 'signal' | 'onInvalidName' | 'onUnreadable'> = {},
  ): Promise<StorageNode[]> {
    return childrenOf(this, this.#reporting(options));
  }
  /** Entries below this folder as an async iterator (`for await`), page by page. */
  list(options: ListNodeOptions = {}): AsyncGenerator<StorageNode> {
    return listNodes(this, this.#reporting(options));
  }
  /** One page of `list()` and the cursor of the next. */
  listPage(options: ListNodeOptions = {}): Promise<NodePage> {
    return listPage(this, this.#reporting(options));
  }
  /**
   * Listing options whose left-out names and unreadable entries are reported: to the caller's `onInvalidName` and
   * `onUnreadable`, else as warnings.
   */
  #reporting<T extends Pick<ListNodeOptions, 'onInvalidName' | 'onUnreadable'>>(options: T): T {
    if (options.onInvalidName && options.onUnreadable) return options;
    const host = this.#host;
    const warn = (error: UfsError) => {
      const fields = { code: error.code, mount: this.mountName, path: error.context.path };
      if (host.warn) host.warn(error.message, fields);
      else console.warn(error.message);
    };
    return { ...options, onInvalidName: options.onInvalidName ?? warn, onUnreadable: options.onUnreadable ?? warn };
  }
  /** Deletes the file or folder (`recursive` for a non-empty folder); missing is fine. */
  delete(options: DeleteNodeOptions = {}): Promise<void> {
    return deleteNode(this, options);
  }

  // ---- copy, move, serve -------------------------------------------------------------------------------------

  /** Copies this file to the file `dest`, or this folder's files below the folder `dest` (see `copyNode`). */
  copyTo(dest: StorageNode, options: CopyOptions = {}): Promise<CopySummary> {
    return copyNode(this, dest, options);
  }

  /** Moves this file or this folder's files: a native rename when the backend has one (see `moveNode`). */
  moveTo(dest: StorageNode, options: MoveOptions = {}): Promise<CopySummary> {
    return moveNode(this, dest, options);
  }

  /** Answers an HTTP GET/HEAD with this file: ETag, 304, Range/206, type, disposition (see `serveNode`). */
  serve(req: IncomingMessage, res: ServerResponse, options: ServeOptions = {}): Promise<ServeResult> {
    return serveNode(this, req, res, options);
  }

  // ---- URLs --------------------------------------------------------------------------------------------------

  /** Presigned GET URL, or the public URL (`baseUrl`); UNSUPPORTED when the mount has neither. */
  url(options: UrlOptions = {}): Promise<string> {
    return urlOf(this, options);
  }
  /** Presigned PUT URL. */
  uploadUrl(options: UrlOptions = {}): Promise<string> {
    return uploadUrlOf(this, options);
  }

  // ---- versions ----------------------------------------------------------------------------------------------

  /** Versions, newest first (mounts with the `versioning` capability). */
  versions(): Promise<VersionInfo[]> {
    return versionsOf(this);
  }
  /** This file at one version: reads, stat and hash see it; `delete()` deletes that version. */
  atVersion(versionId: string): StorageNode {
    checkVersionId(this, 'atVersion', versionId);
    if (!this.capabilities.versioning)
      throw unsupported(siteOf(this), 'atVersion', this.path, `mount "${this.mountName}" keeps no versions`);
    return new StorageNode(this.#host, this.mountName, this.path, { versionId });
  }
  /** The node as it was at `date` (the newest version written at or before it). */
  asOf(date: Date): Promise<StorageNode> {
    return asOfNode(this, date);
  }
  deleteVersion(versionId: string): Promise<void> {
    return deleteVersionOf(this, versionId);
  }
  /** Deletes old versions, keeping the newest `keep` real ones (default 1; delete markers do not count) and the current one; returns how many went. */
  compactVersions(options: { keep?: number } = {}): Promise<number> {
    return compactVersionsOf(this, options);
  }

  // ---- local files -------------------------------------------------------------------------------------------

  /**
   * A real local path (for reading: the file itself on local mounts, a temporary copy elsewhere; for writing: a copy,
   * written back on `close()`, dropped by `discard()`); close it when done.
   */
  localPath(options: LocalPathOptions = {}): Promise<LocalPathHandle> {
    return localPathOf(this, options);
  }
  /** Runs a program with nodes as file arguments (default: this node as the only argument). */
  call(command: string, args: readonly CallArgument[] = [this], options: CallOptions = {}): Promise<CallResult> {
    return callProgram(command, args, options);
  }
}
