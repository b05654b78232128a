import type { PassThrough, Readable } from 'node:stream';
import { toUfsError, UfsError } from '@org/core';
import { loadYazl } from '../lazy.js';
import { stemOf } from '../node/names.js';
import { isStorageNode, type ReadableNode, type SourceStat } from './readable-node.js';
import { VirtualNode } from './virtual-node.js';

export interface ZipOptions {
  /** Deflate the entries (default true). Without compression the archive's size is known before it is made. */
  compress?: boolean;
  /** File name of the archive node (default `<first node's stem>.zip`, or `archive.zip`). */
  name?: string;
}

interface ZipEntry {
  name: string;
  node: ReadableNode;
  size: number | undefined;
  mtime: Date | undefined;
}

/** Entries added to the archive ahead of the one being written (bounds what is queued, not the bytes). */
const LOOKAHEAD = 16;
/** Timestamp of entries whose source has none (zip dates start in 1980); fixed so an archive is reproducible. */
const NO_MTIME = new Date(1980, 0, 1);

/** A zip entry name: relative, `/`-separated, no empty, `.` or `..` segment, no backslash or NUL. */
function isSafeEntryName(name: string): boolean {
  if (name === '' || name.startsWith('/') || /[\\\0]/.test(name) || /^[a-zA-Z]:/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * A zip archive of files and folder trees, produced as it is read (via `yazl`): entries are added while the trees
 * are walked, each file is opened only when the archive reaches it, and at most a few entries are queued ahead, so
 * memory stays flat however large the files are. A folder adds its files under its own name (`docs/a.txt`); a
 * mount root adds them with no prefix. The archive is a read-only node: copy it anywhere, serve it, read it.
 */
export class ZipNode extends VirtualNode {
  readonly kind = 'zip';
  readonly nodes: readonly ReadableNode[];
  readonly compress: boolean;

  constructor(nodes: readonly ReadableNode[], options: ZipOptions = {}) {
    const first = nodes[0];
    if (!first) throw new UfsError('INVALID_INPUT', '[ufs] [zip] zip() needs at least one node');
    super(options.name ?? `${first.basename === '' ? 'archive' : stemOf(first.basename)}.zip`);
    this.nodes = [...nodes];
    this.compress = options.compress ?? true;
    const seen = new Set<string>();
    for (const node of nodes) {
      if (node.basename !== '' && seen.has(node.basename))
        throw this.error('INVALID_INPUT', 'zip', `two nodes are named "${node.basename}": entry names would clash`);
      seen.add(node.basename);
    }
  }

  get fullpath(): string {
    return `zip(${this.nodes.map((n) => n.fullpath).join(', ')})`;
  }

  named(name: string): ZipNode {
    return new ZipNode(this.nodes, { compress: this.compress, name });
  }

  /**
   * `size` is known without compression (computed from the entries' sizes, which walks the trees); with
   * compression it is undefined until the archive has been produced.
   */
  async stat(options: { signal?: AbortSignal } = {}): Promise<SourceStat> {
    return this.guard('stat', async () => {
      const size = this.compress ? await this.checkSources(options.signal) : await this.computeSize(options.signal);
      return { isFile: true, isDir: false, size, contentType: 'application/zip' };
    });
  }

  /** Every listed node is there (files or folders); answers "size unknown". */
  private async checkSources(signal?: AbortSignal): Promise<undefined> {
    await Promise.all(this.nodes.map((node) => node.stat({ signal })));
    return undefined;
  }

  /** Size of the uncompressed archive, as yazl will write it (a dry run that reads no content). */
  private async computeSize(signal?: AbortSignal): Promise<number | undefined> {
    const { ZipFile } = await loadYazl();
    const dry = new ZipFile();
    for await (const entry of this.entries(signal)) {
      dry.addReadStreamLazy(entry.name, this.entryOptions(entry), () => undefined);
    }
    const total = await new Promise<number>((resolve) =>
      (dry.end as (options: object, callback: (size: number) => void) => void)({}, resolve),
    );
    (dry.outputStream as PassThrough).destroy();
    return total >= 0 ? total : undefined;
  }

  private entryOptions(entry: ZipEntry) {
    return {
      mtime: entry.mtime ?? NO_MTIME,
      compress: this.compress,
      ...(entry.size === undefined ? {} : { size: entry.size }),
    };
  }

  /** The archive's entries in order: files as they are, folders walked (one listing page in memory at a time). */
  private async *entries(signal?: AbortSignal): AsyncGenerator<ZipEntry> {
    const names = new Set<string>();
    const named = (name: string, node: ReadableNode): string => {
      if (!isSafeEntryName(name))
        throw this.error('INVALID_INPUT', 'zip', `"${node.fullpath}" would get the unsafe entry name "${name}"`);
      if (names.has(name)) throw this.error('INVALID_INPUT', 'zip', `two entries are named "${name}"`);
      names.add(name);
      return name;
    };
    for (const node of this.nodes) {
      const stat = await node.stat({ signal });
      if (stat.isFile) {
        yield { name: named(node.basename, node), node, size: stat.size, mtime: stat.mtime };
        continue;
      }
      if (!isStorageNode(node)) throw this.error('INVALID_INPUT', 'zip', `"${node.fullpath}" is not a file`);
      const prefix = node.basename === '' ? '' : `${node.basename}/`;
      const offset = node.path === '' ? 0 : node.path.length + 1;
      for await (const child of node.list({ recursive: true, signal })) {
        if (!child.listed?.isFile) continue;
        const name = named(prefix + child.path.slice(offset), child);
        yield { name, node: child, size: child.listed.size, mtime: child.listed.mtime };
      }
    }
  }

  protected async produce(signal: AbortSignal | undefined): Promise<Readable> {
    await this.checkSources(signal);
    const { ZipFile } = await loadYazl();
    const zipfile = new ZipFile();
    const output = zipfile.outputStream as PassThrough;
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let current: Readable | undefined;
    let added = 0;
    let started = 0;
    let wake: (() => void) | undefined;
    const context = { backend: this.kind, operation: 'read', path: this.fullpath };
    const fail = (err: unknown): void => {
      if (output.destroyed) return;
      const integrity = err instanceof Error && /unexpected number of bytes/.test(err.message);
      output.destroy(
        integrity
          ? this.error('INTEGRITY', 'read', 'a file changed size while it was being archived', err)
          : toUfsError(err, context),
      );
    };
    zipfile.on('error', fail);
    output.on('close', () => {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
      current?.destroy();
      wake?.();
    });
    const feed = async (): Promise<void> => {
      for await (const entry of this.entries(stop.signal)) {
        while (added - started >= LOOKAHEAD && !output.destroyed) await new Promise<void>((r) => (wake = r));
        if (output.destroyed) return;
        added++;
        zipfile.addReadStreamLazy(entry.name, this.entryOptions(entry), (callback) => {
          started++;
          const resume = wake;
          wake = undefined;
          resume?.();
          const stream = entry.node.createReadStream({ signal: stop.signal });
          current = stream;
          stream.on('error', fail);
          callback(null, stream);
        });
      }
      zipfile.end();
    };
    feed().catch(fail);
    return output;
  }
}

/** A streamed zip archive of files and folder trees, as a read-only node (see `ZipNode`). */
export function zip(nodes: ReadableNode | readonly ReadableNode[], options: ZipOptions = {}): ZipNode {
  return new ZipNode(Array.isArray(nodes) ? nodes : [nodes as ReadableNode], options);
}
