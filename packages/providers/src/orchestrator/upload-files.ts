import pLimit from 'p-limit';
import { toUfsError, type UfsError } from '@org/core';
import { resolveUploadSettings, type UploadFileOptions } from './settings.js';
import { uploadWithSettings, type UploadFileResult } from './upload-file.js';

export interface UploadFilesOptions extends UploadFileOptions {
  /** Files uploaded at once. Default: config `concurrency`, else 3. */
  concurrency?: number;
}

export type BatchItem =
  { path: string; ok: true; result: UploadFileResult } | { path: string; ok: false; error: UfsError };

/**
 * Uploads many files with bounded concurrency. Settings (providers, config file) are resolved once; each file gets
 * the full retry/fallback/verify treatment; one file's failure does not stop the others (the caller's abort does).
 * Items come back in the order of `paths`.
 */
export async function uploadFiles(paths: readonly string[], options: UploadFilesOptions = {}): Promise<BatchItem[]> {
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  return Promise.all(
    paths.map((path) =>
      limit(async (): Promise<BatchItem> => {
        try {
          return { path, ok: true, result: await uploadWithSettings(path, settings, options) };
        } catch (err) {
          return { path, ok: false, error: toUfsError(err, { operation: 'upload', path }) };
        }
      }),
    ),
  );
}
