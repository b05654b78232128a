import { createReadStream, createWriteStream, fstatSync, rmSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UfsError, classifyNodeError, toUfsError } from '@org/core';
import { registerSpool, type SpoolOrigin } from '@org/providers';

/** The argument that means stdin. */
export const STDIN = '-';

/** The temporary folder as the user set it: its path and the variable that chose it, if one did. */
function temporaryFolder(): { path: string; from: string | undefined } {
  const from = ['TMPDIR', 'TMP', 'TEMP'].find((name) => process.env[name]);
  return { path: tmpdir(), from };
}

/** Why a folder cannot hold a spool, in words (`no such folder`), from the error of mkdtemp. */
function folderProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such folder';
    case 'ENOTDIR':
      return 'not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    default:
      return reasonOf(err);
  }
}

/** A Node error in words with its code (`no space left on device (ENOSPC)`), never a JavaScript message. */
function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = classifyNodeError(err)?.what;
  if (what) return `${what}${code ? ` (${code})` : ''}`;
  return code ? `error ${code}` : 'an unexpected error';
}

/**
 * Copies of inputs that cannot be uploaded as they are (stdin, read once; /proc and /sys files, whose stat size is
 * not their content's), each streamed into its own temporary folder (memory stays flat) under the input's name, so
 * the services see "stdin" or "cpuinfo". Each copy is shown under the name the user typed (`-`, `/proc/cpuinfo`), and
 * declared to the providers a copy of its input (`registerSpool`), so those that record where a file comes from
 * (`ufs`) record `stdin`, or the file's own path, mode and times, never the temporary copy's.
 */
export class Spools {
  /** Spool path -> the name the user typed. */
  private readonly shownBy = new Map<string, string>();
  private readonly folders = new Set<string>();
  /** Spool folder -> forgets its copy's origin (see `registerSpool`). */
  private readonly origins = new Map<string, () => void>();

  /** The name the user typed for `path` when it is a spool, else `path`. */
  shown(path: string): string {
    return this.shownBy.get(path) ?? path;
  }

  /** Every spool path with its shown name. */
  entries(): Array<[string, string]> {
    return [...this.shownBy];
  }

  /**
   * Streams `arg` (`-`: stdin; else a file) into a new spool and returns its path. Fails with one UfsError naming
   * the input: ABORTED when `signal` stops it, CONFIG_INVALID when the temporary folder cannot be used, the read's
   * or write's code otherwise.
   */
  async spool(arg: string, signal: AbortSignal): Promise<string> {
    const what = arg === STDIN ? 'stdin' : 'it';
    const name = arg === STDIN ? 'stdin' : basename(arg);
    const fail = (code: ConstructorParameters<typeof UfsError>[0], message: string, cause?: unknown) =>
      new UfsError(code, `[ufs] upload ${JSON.stringify(arg)}: ${message}`, {
        context: { operation: 'upload', path: arg },
        ...(cause !== undefined ? { cause } : {}),
        retryable: false,
      });
    // What the spool is a copy of, read before the input is opened.
    const origin = await originOf(arg);
    let input: Readable;
    if (arg === STDIN) {
      if (isFolder(0)) throw fail('INVALID_INPUT', 'read stdin: is a folder');
      input = process.stdin;
    } else {
      input = createReadStream(arg);
    }
    if (signal.aborted) {
      if (arg !== STDIN) input.destroy();
      throw fail('ABORTED', `aborted before ${what} was read`, signal.reason);
    }
    const folder = temporaryFolder();
    const where = `the temporary folder ${JSON.stringify(folder.path)}${folder.from ? ` (${folder.from})` : ''}`;
    let dir: string;
    try {
      dir = await mkdtemp(join(folder.path, arg === STDIN ? 'ufs-stdin-' : 'ufs-spool-'));
    } catch (err) {
      if (arg !== STDIN) input.destroy();
      const help = folder.from ? `set ${folder.from} to a writable folder` : 'set TMPDIR to a writable folder';
      throw fail('CONFIG_INVALID', `cannot spool ${what} into ${where}: ${folderProblem(err)} (${help})`, err);
    }
    this.folders.add(dir);
    const path = join(dir, name);
    this.shownBy.set(path, arg);
    this.origins.set(dir, registerSpool(path, origin));
    const output = createWriteStream(path, { mode: 0o600 });
    let failedSide: 'read' | 'write' | undefined;
    input.once('error', () => (failedSide ??= 'read'));
    output.once('error', () => (failedSide ??= 'write'));
    try {
      await pipeline(input, output, { signal });
    } catch (err) {
      if (signal.aborted) throw fail('ABORTED', `aborted while ${what} was read`, err);
      const error = toUfsError(err);
      const reason = reasonOf(err);
      if (failedSide === 'write') throw fail(error.code, `cannot spool ${what} into ${where}: ${reason}`, err);
      throw fail(error.code, `read ${arg === STDIN ? 'stdin' : 'it'}: ${reason}`, err);
    }
    return path;
  }

  /** Removes the spool of `path` (once it is uploaded). */
  async remove(path: string): Promise<void> {
    const dir = dirname(path);
    if (!this.folders.delete(dir)) return;
    this.forget(dir);
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes every spool. */
  async removeAll(): Promise<void> {
    await Promise.all([...this.folders].map((dir) => this.remove(join(dir, 'x'))));
  }

  /** Removes every spool at once (a second signal exits without waiting for the asynchronous clean-up). */
  removeAllSync(): void {
    for (const dir of this.folders) {
      this.forget(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    this.folders.clear();
  }

  private forget(dir: string): void {
    this.origins.get(dir)?.();
    this.origins.delete(dir);
  }
}

/**
 * What a spool is a copy of: stdin by its name, with no stat of its own; a file by its absolute path, with its own
 * mode, owner and times where a stat reads them (a /proc file: its kernel-made ones).
 */
async function originOf(arg: string): Promise<SpoolOrigin> {
  if (arg === STDIN) return { filepath: 'stdin' };
  const filepath = resolve(arg);
  try {
    const info = await stat(arg);
    const { mode, uid, gid, mtimeMs, atimeMs, ctimeMs } = info;
    return { filepath, stat: { mode, uid, gid, mtimeMs, atimeMs, ctimeMs } };
  } catch {
    return { filepath };
  }
}

/** Whether file descriptor `fd` is a folder (`ufs upload - < dir`: reading it gives nothing, not an error). */
function isFolder(fd: number): boolean {
  try {
    return fstatSync(fd).isDirectory();
  } catch {
    return false;
  }
}
