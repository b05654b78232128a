import { UfsError, toUfsError } from '@org/core';
import { changeOf, fileChangedError, type FileStamp } from '../api/file-stamp.js';
import { loadTusUpload } from '../lazy.js';
import type { ScanOptions } from './scanner.js';
import type { ScanStats, UploadProgress } from './stats.js';
import { STOP_GRACE_MS } from './stop-grace.js';

/** How one upload ended: see uploadContent. */
export type UploadOutcome = 'ok' | 'skipped' | { failed: 'file' | 'content' | 'stop'; error: UfsError };

/** What one upload needs of the scan running it (runScan): its options, figures and failure accounting. */
export interface UploadScan {
  o: ScanOptions;
  stats: ScanStats;
  /** Uploads in flight, by path (an upload removes its own when it ends). */
  uploading: Map<string, UploadProgress>;
  /** The scan stopped (Ctrl-C, a fatal error): no upload starts. */
  stopped(): boolean;
  progress(): void;
  uploadProgress(path: string, total: number): (loaded: number) => void;
  /** Counts and reports one failure (runScan's `fail`). */
  fail(error: UfsError): void;
  /** Whether a failure stops the scan. */
  isFatal(error: UfsError): boolean;
}

/**
 * The server's 404 to an upload (`no file record with sha256 … put_file first`): the record this upload is for was
 * replaced (another client, same host and path, another hash) or deleted meanwhile. The file is there: INTEGRITY (65,
 * like a file changed while scanned), not NOT_FOUND (66, "input file missing"); its twins still have their records.
 */
function recordGoneError(path: string, sha256: string, error: UfsError): UfsError {
  const why = `its record with sha256 ${sha256} was replaced (or deleted) on the server meanwhile; scan again`;
  return new UfsError('INTEGRITY', `[ufs] [server] upload "${path}": ${why}`, {
    retryable: false,
    cause: error,
    context: { ...error.context, path },
  });
}

/**
 * Uploads the content `sha256` from the file of `item`, within an upload slot of the scan: a small file as one
 * multipart request, a large one with tus (resumable; its URL kept in the cache). 'skipped': the scan stopped (Ctrl-C,
 * a fatal error) before this upload could start, or Ctrl-C stopped it. A failure (counted and reported here, as
 * `item`'s) says whether it is `item`'s own (the file changed, is gone or unreadable: an identical file may still be
 * uploaded instead), the content's (too large, refused: every file of it fails), or one that stops the scan.
 */
export async function uploadContent(
  c: UploadScan,
  sha256: string,
  item: { path: string; size: number; stamp?: FileStamp },
): Promise<UploadOutcome> {
  const { o } = c;
  if (c.stopped()) return 'skipped';
  const client = o.client!;
  // The bytes of a tus upload the server confirmed holding, of those this scan sent: counted even when Ctrl-C or a
  // failure cuts the upload short (the server keeps them; a later run continues after them).
  let kept = 0;
  try {
    // The bytes this upload sent: a resumed tus upload sends only what the server did not hold yet.
    let sent = item.size;
    if (item.size >= o.tusThreshold) {
      const { tusUpload } = await loadTusUpload();
      sent = await tusUpload({
        base: client.base,
        headers: client.headers(),
        path: item.path,
        sha256,
        size: item.size,
        ...(o.cache?.tusUrl(client.base, sha256) ? { resumeUrl: o.cache.tusUrl(client.base, sha256)! } : {}),
        onUrl: (url) => o.cache?.setTusUrl(client.base, sha256, url),
        ...(o.tusChunkSize ? { chunkSize: o.tusChunkSize } : {}),
        ...(o.tusTimeoutMs ? { timeoutMs: o.tusTimeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: c.uploadProgress(item.path, item.size),
        // Ctrl-C cutting its request: the server is asked, within the stop grace, what it holds of it.
        onSent: (bytes) => (kept = bytes),
        stopGraceMs: STOP_GRACE_MS,
        ...(item.stamp ? { stamp: item.stamp } : {}),
        follow: o.followSymlinks ?? false,
      });
      o.cache?.setTusUrl(client.base, sha256, undefined);
    } else {
      // The stop (Ctrl-C) ends a request still sending its body at once; one whose body is sent gets its answer
      // for a moment more (the client's signal: STOP_GRACE_MS later, stop-grace.ts): the server may have stored it.
      await client.uploadFile(
        sha256,
        item.path,
        item.size,
        { hostname: o.hostname, filepath: item.path },
        c.uploadProgress(item.path, item.size),
        item.stamp,
        o.followSymlinks ?? false,
        o.signal,
      );
    }
    c.stats.uploaded++;
    c.stats.uploadedBytes += sent;
    c.progress();
    return 'ok';
  } catch (err) {
    c.stats.uploadedBytes += kept;
    const error = toUfsError(err, { backend: 'server', operation: 'upload', path: item.path });
    // Stopped by the user (Ctrl-C, SIGTERM) mid-way: nothing failed, the stop left the content unsent.
    if (o.signal?.aborted && error.code === 'ABORTED') return 'skipped';
    // However it failed (the server found another hash, a tus request broke), a file changed meanwhile is
    // reported as such: scanning again is what helps. Not an error that stops the scan (server down, Ctrl-C).
    // A local file's own failure (gone, no longer a regular file) says what happened already.
    const local = error.context.backend === 'local';
    const own = local || error.code === 'INTEGRITY' || error.code === 'ABORTED' || c.isFatal(error) || !item.stamp;
    const change = own ? undefined : changeOf(item.path, item.stamp!);
    const gone = !local && error.code === 'NOT_FOUND' && !c.isFatal(error);
    const failure = change
      ? fileChangedError(item.path, change, error)
      : gone
        ? recordGoneError(item.path, sha256, error)
        : error;
    c.fail(failure);
    if (c.isFatal(failure)) return { failed: 'stop', error: failure };
    // The file's own failure (changed, gone, unreadable): its twins hold the content as it was hashed.
    if (local || failure.code === 'INTEGRITY') return { failed: 'file', error: failure };
    return { failed: 'content', error: failure };
  } finally {
    c.uploading.delete(item.path);
  }
}
