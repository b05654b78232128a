import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Upload, type UploadOptions } from 'tus-js-client';
import { UfsError, classifyHttpStatus } from '@org/core';
import { READ_BUFFER } from './file-reads.js';

export interface TusUploadOptions {
  /** The server's base URL; uploads are created at `<base>/tus`. */
  base: string;
  headers: Record<string, string>;
  path: string;
  sha256: string;
  size: number;
  /** An upload URL from an earlier, interrupted run: resumed from the offset the server reports. */
  resumeUrl?: string;
  /** Called as soon as the server has created the upload (to remember it for a later run). */
  onUrl?: (url: string) => void;
  onProgress?: (loaded: number, total: number) => void;
  /**
   * Bytes per PATCH request (each streamed from the file). Default: the whole file in one request — the ufs server
   * keeps the bytes of a request cut short, so a break costs nothing more than with chunks, and the server hashes
   * the upload as it arrives instead of reading it again. Chunks suit proxies that limit request bodies.
   */
  chunkSize?: number;
  signal?: AbortSignal;
}

function errorFrom(
  err: Error & { originalResponse?: { getStatus(): number; getBody(): string } | null },
  path: string,
): UfsError {
  const status = err.originalResponse?.getStatus();
  const classified = status ? classifyHttpStatus(status) : undefined;
  const body = err.originalResponse?.getBody()?.slice(0, 300);
  return new UfsError(
    classified?.code ?? 'UNAVAILABLE',
    `[ufs] [server] resumable upload "${path}": ${status ? `HTTP ${status}${body ? `: ${body}` : ''}` : err.message.split('\n')[0]}`,
    {
      cause: err,
      retryable: classified?.retryable ?? true,
      context: { backend: 'server', operation: 'tus', path, ...(status ? { status } : {}) },
    },
  );
}

/** The file to send, as tus-js-client is given it (read through `fileReader`). */
interface FileInput {
  path: string;
  size: number;
}

/**
 * tus-js-client's view of a file: each request body is a read stream of the byte range asked for, with larger reads
 * than the library's own file source; `size` on the stream gives the request its Content-Length.
 */
const fileReader: NonNullable<UploadOptions['fileReader']> = {
  openFile: (input: FileInput) =>
    Promise.resolve({
      size: input.size,
      slice(start: number, end: number) {
        const last = Math.min(end, input.size);
        const stream =
          last > start
            ? createReadStream(input.path, { start, end: last - 1, highWaterMark: READ_BUFFER })
            : Readable.from([]);
        return Promise.resolve({ value: Object.assign(stream, { size: last - start }), done: last >= input.size });
      },
      close: () => undefined,
    }),
};

/**
 * A resumable upload with the tus 1.0 protocol (`tus-js-client`): the file is sent in streamed chunks; after a
 * network failure the client asks the server for its offset (`HEAD`) and continues from there, and the upload URL
 * survives the process (`onUrl` / `resumeUrl`) so the next run resumes instead of starting over.
 */
export function tusUpload(options: TusUploadOptions): Promise<void> {
  const { signal } = options;
  const aborted = () => new UfsError('ABORTED', `[ufs] [server] resumable upload "${options.path}": aborted`);
  if (signal?.aborted) return Promise.reject(aborted());
  let onAbort: (() => void) | undefined;
  // The listener goes when the upload settles: a scan's uploads share one signal, and each would otherwise leave one.
  const settled = () => {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  };
  return new Promise<void>((resolve, reject) => {
    const file: FileInput = { path: options.path, size: options.size };
    const upload = new Upload(file as unknown as Buffer, {
      fileReader,
      endpoint: `${options.base}/tus`,
      ...(options.resumeUrl ? { uploadUrl: options.resumeUrl } : {}),
      uploadSize: options.size,
      chunkSize: options.chunkSize ?? Number.POSITIVE_INFINITY,
      headers: options.headers,
      metadata: { sha256: options.sha256, filename: basename(options.path) },
      retryDelays: [0, 500, 2000, 5000],
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      onUploadUrlAvailable: () => {
        if (upload.url) options.onUrl?.(upload.url);
      },
      onProgress: (loaded, total) => options.onProgress?.(loaded, total),
      onSuccess: () => resolve(),
      onError: (err) => reject(errorFrom(err as never, options.path)),
    });
    onAbort = () => {
      void upload.abort(false);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    upload.start();
  }).finally(settled);
}
