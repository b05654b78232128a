import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { UfsError, toUfsError, type UploadSource } from '@org/core';
import { lookup } from 'mime-types';

export interface FileSourceOptions {
  /** Name given to the service (default: the file's base name). */
  filename?: string;
  /** MIME type (default: guessed from the name, else application/octet-stream). */
  contentType?: string;
  /** Read size of each chunk. Default 1 MiB. */
  chunkSize?: number;
}

/** The MIME type for a file name, `application/octet-stream` when unknown. */
export function contentTypeFor(filename: string): string {
  return lookup(filename) || 'application/octet-stream';
}

/**
 * An upload source over a local file: stat once, and open a fresh read stream for every attempt (so retries and
 * fallbacks read the file again instead of holding it in memory).
 */
export async function fileSource(path: string, options: FileSourceOptions = {}): Promise<UploadSource> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw toUfsError(err, { operation: 'upload', path });
  }
  if (!info.isFile()) {
    throw new UfsError('INVALID_INPUT', `[ufs] upload "${path}": not a regular file`, {
      context: { operation: 'upload', path },
    });
  }
  const filename = options.filename ?? basename(path);
  const highWaterMark = options.chunkSize ?? 1024 * 1024;
  return {
    filename,
    size: info.size,
    contentType: options.contentType ?? contentTypeFor(filename),
    path,
    open: () => createReadStream(path, { highWaterMark }),
  };
}
