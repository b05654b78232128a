import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { toUfsError, type UfsError } from '@org/core';
import { checkNumberOption } from './config.js';
import { resolveUploadSettings, type UploadFileOptions } from './settings.js';
import { uploadWithSettings, type UploadFileResult } from './upload-file.js';

export interface UploadFilesOptions extends UploadFileOptions {
  /** Files uploaded at once (a whole number from 1 to 64, as in the config). Default: config `concurrency`, else 3. */
  concurrency?: number;
}

export type BatchItem =
  { path: string; ok: true; result: UploadFileResult } | { path: string; ok: false; error: UfsError };

/** Listeners expected on a batch's signal: far more than `-c 64` uploads with their requests and waits ever add. */
const MANY_LISTENERS = 100_000;

/**
 * The batch's own signal, following the caller's (`AbortSignal.any` adds no listener to the caller's signal, so
 * nothing is left on it afterwards): the files in flight, each with its requests and waits, listen to this one, which
 * many listeners are expected on (`-c 12`), so it gets no MaxListenersExceededWarning.
 */
function batchSignal(caller: AbortSignal | undefined): AbortSignal | undefined {
  if (!caller) return undefined;
  const signal = AbortSignal.any([caller]);
  // A finite limit: Node 20's `getMaxListeners` throws for an AbortSignal whose limit is 0 ("unlimited"), and undici's
  // `new Request` asks it (the Dropbox SDK's fetch failed every upload with "The emitter argument must be ...").
  setMaxListeners(MANY_LISTENERS, signal);
  return signal;
}

/**
 * Uploads many files with bounded concurrency. Settings (providers, config file) are resolved once; each file gets
 * the full retry/fallback/verify treatment; one file's failure does not stop the others (the caller's abort does).
 * Items come back in the order of `paths`.
 */
export async function uploadFiles(paths: readonly string[], options: UploadFilesOptions = {}): Promise<BatchItem[]> {
  checkNumberOption('concurrency', options.concurrency);
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  const fileOptions = { ...options, signal: batchSignal(options.signal) };
  return Promise.all(
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
}
