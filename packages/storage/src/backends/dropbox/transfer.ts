import { Readable } from 'node:stream';
import { DropboxContentHash, describeContext, UfsError, type ErrorContext, type WriteOptions } from '@org/core';
import { DropboxFileUploader, readerUpload, sizedReaderUpload, type files } from 'dropbox';
import { parseContentRange, rangeHeader, rangeLength, type ByteRange } from '../http/range.js';
import { contentCall, resultHeader, type DropboxClient } from './client.js';
import { dropboxError } from './errors.js';

export interface TransferSettings {
  /** Upload session chunk size; files up to this size go in one `files/upload`. */
  chunkSize: number;
  timeoutMs: number;
}

/**
 * Downloads with `files/download` on the content host, streamed. Ranges are asked with `Range` and checked
 * against `Content-Range`; a whole download is checked against Dropbox's content_hash at its end (INTEGRITY).
 */
export async function download(
  client: DropboxClient,
  path: string,
  range: ByteRange | undefined,
  settings: TransferSettings,
  options: { signal?: AbortSignal; context: ErrorContext },
): Promise<Readable> {
  const { context } = options;
  const answer = await contentCall(
    client,
    'files/download',
    { path },
    {
      range: range ? rangeHeader(range) : undefined,
      signal: options.signal,
      timeoutMs: settings.timeoutMs,
      context,
    },
  );
  const { status, headers } = answer.response;
  if (status === 416) {
    answer.discard();
    return Readable.from([]);
  }
  if (range) {
    let skip = range.start;
    if (status === 206) {
      const first = parseContentRange(headers.get('content-range'))?.start;
      if (first === undefined || first > range.start) {
        answer.discard();
        throw new UfsError(
          'UNEXPECTED',
          `${describeContext(context)} asked bytes ${range.start}-, got "${headers.get('content-range')}"`,
          { context },
        );
      }
      skip = range.start - first;
    }
    return answer.body({ skip, limit: rangeLength(range) });
  }
  const expected = resultHeader(answer, context).content_hash;
  const body = answer.body();
  return Readable.from(verified(body, expected, context), { objectMode: false });
}

async function* verified(body: Readable, expected: string | undefined, context: ErrorContext): AsyncGenerator<Buffer> {
  const hash = new DropboxContentHash();
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    yield chunk as Buffer;
  }
  if (expected && hash.digest() !== expected) {
    throw new UfsError('INTEGRITY', `${describeContext(context)} the download does not match Dropbox's content_hash`, {
      context,
    });
  }
}

function asBytes(chunk: unknown): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError('a write source must yield bytes');
}

/**
 * Uploads a stream. The first `chunkSize` bytes are gathered: a source that ends within them goes up in one
 * `files/upload`; a longer one (or one of unknown size) goes through an upload session (`start`, `append_v2`,
 * `finish`) driven by the SDK's DropboxFileUploader, one chunk in memory at a time. Nothing is visible before the
 * commit. `ifNotExists` commits in mode `add` with `strict_conflict`, so an existing file is a conflict
 * (ALREADY_EXISTS) even when its content is identical.
 */
export async function upload(
  client: DropboxClient,
  path: string,
  source: Readable | AsyncIterable<Uint8Array>,
  settings: TransferSettings,
  options: WriteOptions & { context: ErrorContext },
): Promise<files.FileMetadata> {
  const { context, signal } = options;
  if (signal?.aborted) throw new UfsError('ABORTED', `${describeContext(context)} aborted`, { context });
  const commit: files.CommitInfo = {
    path,
    mode: { '.tag': options.ifNotExists ? 'add' : 'overwrite' },
    autorename: false,
    mute: true,
    strict_conflict: options.ifNotExists === true,
  };
  const request = { signal, timeout: settings.timeoutMs };
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  try {
    while (headBytes <= settings.chunkSize) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const bytes = asBytes(next.value);
      head.push(bytes);
      headBytes += bytes.byteLength;
    }
    if (ended && headBytes <= settings.chunkSize) {
      const contents = Buffer.concat(head);
      const result = (await client.sdk.filesUpload({ ...commit, contents }, request)).result;
      options.onProgress?.(contents.length);
      return result;
    }
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield* head.splice(0);
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield asBytes(next.value);
      }
    }
    const uploader = new DropboxFileUploader(client.sdk, {
      chunkSize: settings.chunkSize,
      signal,
      timeout: settings.timeoutMs,
      progress: (progress) => options.onProgress?.(progress.bytesCommitted),
    });
    const body = options.size === undefined ? readerUpload(rest()) : sizedReaderUpload(rest(), options.size);
    return (await uploader.upload(body, commit)).metadata;
  } catch (err) {
    await iterator.return?.().catch(() => undefined);
    if (signal?.aborted) throw new UfsError('ABORTED', `${describeContext(context)} aborted`, { context, cause: err });
    throw dropboxError(err, context);
  }
}
