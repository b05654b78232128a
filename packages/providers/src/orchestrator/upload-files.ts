import { basename } from 'node:path';
import pLimit from 'p-limit';
import { UfsError, allowManyListeners, toUfsError } from '@org/core';
import { loadProvider } from '../registry.js';
import { checkNumberOption } from './config.js';
import type { UploadEvent } from './events.js';
import { resolveUploadSettings, type UploadFileOptions, type UploadSettings } from './settings.js';
import { uploadWithSettings, type UploadFileResult } from './upload-file.js';

export interface UploadFilesOptions extends UploadFileOptions {
  /** Files uploaded at once (a whole number from 1 to 64, as in the config). Default: config `concurrency`, else 3. */
  concurrency?: number;
  /** The events of file `index` (an UploadEvent names no file). `onEvent` gets them too, without the index. */
  onFileEvent?: (index: number, event: UploadEvent) => void;
  /** File `index` is done, uploaded or failed: called as each one ends, in any order (e.g. to print its URL at once). */
  onSettled?: (index: number, item: BatchItem) => void;
}

export type BatchItem =
  { path: string; ok: true; result: UploadFileResult } | { path: string; ok: false; error: UfsError };

/**
 * The batch's own signal, following the caller's (`AbortSignal.any` adds no listener to the caller's signal, so
 * nothing is left on it afterwards): the files in flight, each with its requests and waits, listen to this one, which
 * many listeners are expected on (`-c 12`), so it gets no MaxListenersExceededWarning.
 */
function batchSignal(caller: AbortSignal | undefined): AbortSignal | undefined {
  if (!caller) return undefined;
  return allowManyListeners(AbortSignal.any([caller]));
}

/**
 * Files of the batch that would be stored under the key of an earlier one: on providers whose key comes from the
 * name alone (`s3`, `mount`, `dropbox` without `unique`), two files named alike would land on one key, one replacing
 * the other (and the URL of the first serving the second's bytes). Each later file gets its error, before any upload:
 * the first keeps its name, as a user of `aws s3 cp`/rclone expects, and nothing is renamed behind the caller's back.
 */
async function nameClashes(
  paths: readonly string[],
  settings: UploadSettings,
  filename: string | undefined,
): Promise<Map<number, UfsError>> {
  const clashes = new Map<number, UfsError>();
  for (const id of settings.providers) {
    const provider = await loadProvider(id);
    if (!provider.nameKey) continue;
    const options = { ...settings.providerOptions[id], env: settings.env };
    const first = new Map<string, number>();
    paths.forEach((path, index) => {
      if (clashes.has(index)) return;
      const name = filename ?? basename(path);
      const key = provider.nameKey!(name, options);
      if (key === undefined) return;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, index);
        return;
      }
      clashes.set(
        index,
        new UfsError(
          'INVALID_INPUT',
          `[ufs] upload "${path}": ${JSON.stringify(paths[earlier])} in the same batch has the same name ${JSON.stringify(name)}, and ${id} stores both under one key (${key}): one would replace the other. Give ${id} the option unique (a random part in the name), rename one, or upload them separately`,
          { context: { operation: 'upload', path, provider: id, clashesWith: paths[earlier] }, retryable: false },
        ),
      );
    });
  }
  return clashes;
}

/**
 * Uploads many files with bounded concurrency. Settings (providers, config file) are resolved once; each file gets
 * the full retry/fallback/verify treatment; one file's failure does not stop the others (the caller's abort does).
 * Items come back in the order of `paths`. A file that would be stored under the same key as an earlier one of the
 * batch (same name, on `s3`/`mount`/`dropbox` without `unique`) fails with INVALID_INPUT before any upload.
 */
export async function uploadFiles(paths: readonly string[], options: UploadFilesOptions = {}): Promise<BatchItem[]> {
  checkNumberOption('concurrency', options.concurrency);
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  const { onFileEvent, onSettled, onEvent } = options;
  const signal = batchSignal(options.signal);
  const clashes = await nameClashes(paths, settings, options.filename);
  const settled = (index: number, item: BatchItem): BatchItem => {
    onSettled?.(index, item);
    return item;
  };
  return Promise.all(
    paths.map((path, index) =>
      limit(async (): Promise<BatchItem> => {
        const clash = clashes.get(index);
        if (clash) return settled(index, { path, ok: false, error: clash });
        const fileOptions: UploadFileOptions = {
          ...options,
          signal,
          ...(onFileEvent
            ? {
                onEvent: (event: UploadEvent) => {
                  onEvent?.(event);
                  onFileEvent(index, event);
                },
              }
            : {}),
        };
        try {
          return settled(index, { path, ok: true, result: await uploadWithSettings(path, settings, fileOptions) });
        } catch (err) {
          return settled(index, { path, ok: false, error: toUfsError(err, { operation: 'upload', path }) });
        }
      }),
    ),
  );
}
