import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { toUfsError, type UfsError } from '@org/core';
import { checkWholeNumber, resolveUploadSettings, type UploadFileOptions } from './settings.js';
import { uploadWithSettings, type UploadFileResult } from './upload-file.js';

export interface UploadFilesOptions extends UploadFileOptions {
  /** Files uploaded at once (a whole number ≥ 1). Default: config `concurrency`, else 3. */
  concurrency?: number;
}

export type BatchItem =
  { path: string; ok: true; result: UploadFileResult } | { path: string; ok: false; error: UfsError };

/**
 * A signal of the batch's own that follows the caller's: the files in flight listen to it (many listeners, which is
 * expected here), and the caller's signal gets one listener whatever the concurrency.
 */
function batchSignal(caller: AbortSignal | undefined): { signal: AbortSignal | undefined; dispose(): void } {
  if (!caller) return { signal: undefined, dispose: () => undefined };
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const follow = () => controller.abort(caller.reason);
  if (caller.aborted) follow();
  else caller.addEventListener('abort', follow, { once: true });
  return { signal: controller.signal, dispose: () => caller.removeEventListener('abort', follow) };
}

/**
 * Uploads many files with bounded concurrency. Settings (providers, config file) are resolved once; each file gets
 * the full retry/fallback/verify treatment; one file's failure does not stop the others (the caller's abort does).
 * Items come back in the order of `paths`.
 */
export async function uploadFiles(paths: readonly string[], options: UploadFilesOptions = {}): Promise<BatchItem[]> {
  checkWholeNumber('concurrency', options.concurrency, 1, true);
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  const batch = batchSignal(options.signal);
  const fileOptions = { ...options, signal: batch.signal };
  try {
    return await Promise.all(
      paths.map((path) =>
        limit(async (): Promise<BatchItem> => {
          try {
            return { path, ok: true, result: await uploadWithSettings(path, settings, fileOptions) };
          } catch (err) {
            return { path, ok: false, error: toUfsError(err, { operation: 'upload', path }) };
          }
        }),
      ),
    );
  } finally {
    batch.dispose();
  }
}
