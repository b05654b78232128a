import { Readable } from 'node:stream';
import { UfsError } from '@org/core';
import type { StructuredPatch } from 'diff';
import { loadDiff } from '../lazy.js';
import type { ReadableNode, SourceStat } from './readable-node.js';
import { VirtualNode } from './virtual-node.js';

/** Default size cap of each side of a diff: both texts are held in memory to be compared. */
export const DEFAULT_DIFF_MAX_BYTES = 10 * 1024 * 1024;

export interface DiffOptions {
  /** Lines of context around each change. Default 3 (like `diff -u`). */
  context?: number;
  /** Refuse (TOO_LARGE) a side larger than this many bytes, before reading it. Default 10 MiB. */
  maxBytes?: number;
  /** Compare lines ignoring leading/trailing whitespace (`\r` of CRLF and a byte order mark included). */
  ignoreWhitespace?: boolean;
  /** Give up (TIMEOUT) when computing the diff takes longer than this. Default: no limit. */
  timeoutMs?: number;
  /** File name of the patch node (default `<b's name>.diff`). */
  name?: string;
}

// ignoreBOM keeps a byte order mark in the text: two files that differ only by one are not the same.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The unified diff (`diff -u` format, via the `diff` package) of two text files, as a read-only node. Both sides
 * are size-checked before they are read (TOO_LARGE above `maxBytes`); binary content (a NUL byte or invalid UTF-8)
 * is INVALID_INPUT. The patch is computed once, on first use, without blocking the event loop; identical files
 * (a byte order mark is a difference) give an empty patch, and so do files that differ only where
 * `ignoreWhitespace` looks away.
 */
export class DiffNode extends VirtualNode {
  readonly kind = 'diff';
  readonly a: ReadableNode;
  readonly b: ReadableNode;
  private readonly options: DiffOptions;
  private pending: Promise<Buffer> | undefined;

  constructor(a: ReadableNode, b: ReadableNode, options: DiffOptions = {}) {
    super(options.name ?? `${b.basename || 'changes'}.diff`);
    const maxBytes = options.maxBytes ?? DEFAULT_DIFF_MAX_BYTES;
    const context = options.context ?? 3;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw new UfsError('INVALID_INPUT', `[ufs] [diff] maxBytes must be a whole number of bytes, got ${maxBytes}`);
    if (!Number.isSafeInteger(context) || context < 0)
      throw new UfsError('INVALID_INPUT', `[ufs] [diff] context must be a whole number of lines, got ${context}`);
    this.a = a;
    this.b = b;
    this.options = { ...options, maxBytes, context };
  }

  get fullpath(): string {
    return `diff(${this.a.fullpath}, ${this.b.fullpath})`;
  }

  /** The patch text (empty when the two texts are the same). */
  async patch(): Promise<string> {
    return (await this.compute()).toString('utf8');
  }

  /** Whether the two texts differ. */
  async changed(): Promise<boolean> {
    return (await this.compute()).byteLength > 0;
  }

  async stat(): Promise<SourceStat> {
    const patch = await this.compute();
    return { isFile: true, isDir: false, size: patch.byteLength, contentType: 'text/x-diff; charset=utf-8' };
  }

  protected async produce(): Promise<Readable> {
    return Readable.from([await this.compute()], { objectMode: false });
  }

  private compute(): Promise<Buffer> {
    this.pending ??= this.guard('diff', async () => {
      const [before, after] = await Promise.all([this.text(this.a), this.text(this.b)]);
      const patch = await this.unified(before, after);
      return Buffer.from(patch, 'utf8');
    });
    // A failure (a side missing, too large) is not kept: the next use tries again.
    this.pending.catch(() => (this.pending = undefined));
    return this.pending;
  }

  private async unified(before: string, after: string): Promise<string> {
    if (before === after) return '';
    const { structuredPatch, formatPatch, FILE_HEADERS_ONLY } = await loadDiff();
    const { context, ignoreWhitespace, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const callback = (patch: StructuredPatch | undefined): void => {
        if (patch === undefined)
          reject(this.error('TIMEOUT', 'diff', `computing the diff took longer than ${timeoutMs} ms`));
        // No hunk (the texts differ only where ignoreWhitespace looks away): the same, so empty, as `diff -u -b`.
        else resolve(patch.hunks.length === 0 ? '' : formatPatch(patch, FILE_HEADERS_ONLY));
      };
      const options = { context, ignoreWhitespace };
      if (timeoutMs === undefined)
        structuredPatch(this.a.fullpath, this.b.fullpath, before, after, undefined, undefined, {
          ...options,
          callback,
        });
      else
        structuredPatch(this.a.fullpath, this.b.fullpath, before, after, undefined, undefined, {
          ...options,
          timeout: timeoutMs,
          callback,
        });
    });
  }

  /** One side as text: size-checked first, read with the same cap, refused when binary. */
  private async text(node: ReadableNode): Promise<string> {
    const maxBytes = this.options.maxBytes!;
    const stat = await node.stat();
    if (!stat.isFile) throw this.error('INVALID_INPUT', 'diff', `"${node.fullpath}" is a folder; diff compares files`);
    const tooLarge = (size: string) =>
      this.error(
        'TOO_LARGE',
        'diff',
        `"${node.fullpath}" is ${size} bytes, above the diff limit of ${maxBytes} bytes (both texts are held in memory; raise maxBytes to allow it)`,
      );
    if (stat.size !== undefined && stat.size > maxBytes) throw tooLarge(String(stat.size));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of await node.openReadStream()) {
      size += (chunk as Buffer).byteLength;
      if (size > maxBytes) throw tooLarge(`more than ${maxBytes}`);
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks, size);
    const nul = bytes.indexOf(0);
    if (nul >= 0) throw this.binary(node, `a NUL byte at offset ${nul}`);
    try {
      return utf8.decode(bytes);
    } catch {
      throw this.binary(node, 'bytes that are not valid UTF-8');
    }
  }

  private binary(node: ReadableNode, why: string): UfsError {
    return this.error(
      'INVALID_INPUT',
      'diff',
      `"${node.fullpath}" looks binary (${why}); diff compares UTF-8 text files only`,
    );
  }
}

/** The unified text diff of `a` and `b` as a read-only node (see `DiffNode`). */
export function diff(a: ReadableNode, b: ReadableNode, options: DiffOptions = {}): DiffNode {
  return new DiffNode(a, b, options);
}
