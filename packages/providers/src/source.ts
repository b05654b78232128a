import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { UfsError, toUfsError, type UploadSource } from '@org/core';
import { lookup } from 'mime-types';
import { pseudoFileReason } from './pseudo-file.js';

export interface FileSourceOptions {
  /** Name given to the service (default: the file's base name). */
  filename?: string;
  /** MIME type (default: guessed from the name, else application/octet-stream). */
  contentType?: string;
  /** Read size of each chunk. Default 1 MiB. */
  chunkSize?: number;
}

/** What says a file is still the one an upload began with: size, times (ns) and inode. */
export interface FileStamp {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/** An upload source over a local file, with the stamp taken when it was made. */
export interface FileUploadSource extends UploadSource {
  path: string;
  readonly stamp: FileStamp;
  /**
   * What changed in the file since the source was made (`size`, `modified`, `replaced`), or undefined when nothing
   * did; a file that cannot be stat'ed any more (deleted) is `gone`.
   */
  changed(): Promise<string | undefined>;
}

function stampOf(info: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }): FileStamp {
  return { size: info.size, mtimeNs: info.mtimeNs, ctimeNs: info.ctimeNs, ino: info.ino };
}

/** How `now` differs from `then` (the first difference found), or undefined. */
function difference(then: FileStamp, now: FileStamp): string | undefined {
  if (now.ino !== then.ino) return 'it was replaced by another file';
  if (now.size !== then.size) return `its size went from ${then.size} to ${now.size} bytes`;
  if (now.mtimeNs !== then.mtimeNs || now.ctimeNs !== then.ctimeNs) return 'it was modified';
  return undefined;
}

/** What a spooled copy stands for (see `registerSpool`). */
export interface SpoolOrigin {
  /** The input's absolute path (`/proc/self/status`), or its name for an input without one (`stdin`). */
  filepath: string;
  /** The input's own mode, owner and times (epoch ms), where a stat could read them. */
  stat?: { mode: number; uid: number; gid: number; mtimeMs: number; atimeMs: number; ctimeMs: number };
}

/** Spool path (absolute) -> what it is a copy of. */
const spools = new Map<string, SpoolOrigin>();

/**
 * Declares the local file at `path` a temporary copy (a spool) of `origin`: an input that could not be uploaded as it
 * stands (stdin, a /proc file). Providers that record where a file comes from (`ufs`: the record's filepath, mode and
 * times) then record the origin, never the temporary path. Returns the function that forgets it (once the copy is
 * removed).
 */
export function registerSpool(path: string, origin: SpoolOrigin): () => void {
  const key = resolve(path);
  const entry = { ...origin };
  spools.set(key, entry);
  return () => {
    if (spools.get(key) === entry) spools.delete(key);
  };
}

/** What the file at `path` is a spooled copy of (see `registerSpool`), or undefined for any other file. */
export function spoolOrigin(path: string | undefined): SpoolOrigin | undefined {
  return path === undefined ? undefined : spools.get(resolve(path));
}

/** The MIME type for a file name, `application/octet-stream` when unknown. */
export function contentTypeFor(filename: string): string {
  return lookup(filename) || 'application/octet-stream';
}

/**
 * An upload source over a local file: stat once, and open a fresh read stream for every attempt (so retries and
 * fallbacks read the file again instead of holding it in memory). A file whose stat size is not its content's (on
 * /proc, /sys and the like; see pseudo-file.ts) is refused with UNSUPPORTED and `context.pseudoFile` saying why: a
 * caller uploads a copy of it instead (the CLI spools it, as it does stdin).
 */
export async function fileSource(path: string, options: FileSourceOptions = {}): Promise<FileUploadSource> {
  let info;
  try {
    info = await stat(path, { bigint: true });
  } catch (err) {
    throw toUfsError(err, { operation: 'upload', path });
  }
  if (!info.isFile()) {
    throw new UfsError('INVALID_INPUT', `[ufs] upload "${path}": not a regular file`, {
      context: { operation: 'upload', path },
    });
  }
  // A /proc or /sys file: its stat size is not its content's, so the size sent, checked and verified would be wrong.
  const pseudo = await pseudoFileReason(path, info.size);
  if (pseudo !== undefined) {
    throw new UfsError(
      'UNSUPPORTED',
      `[ufs] upload "${path}": cannot upload it as it stands: ${pseudo}; upload a copy of it (a regular file, or its content through stdin)`,
      { context: { operation: 'upload', path, pseudoFile: pseudo }, retryable: false },
    );
  }
  const filename = options.filename ?? basename(path);
  if (filename === '') {
    throw new UfsError('INVALID_INPUT', `[ufs] upload "${path}": the file name to upload under (filename) is empty`, {
      context: { operation: 'upload', path },
    });
  }
  const highWaterMark = options.chunkSize ?? 1024 * 1024;
  const stamp = stampOf(info);
  return {
    filename,
    size: Number(info.size),
    stamp,
    changed: async () => {
      try {
        return difference(stamp, stampOf(await stat(path, { bigint: true })));
      } catch {
        return 'it can no longer be read';
      }
    },
    contentType: options.contentType ?? contentTypeFor(filename),
    path,
    open: () => createReadStream(path, { highWaterMark }),
  };
}
