import { basename, resolve } from 'node:path';
import pLimit from 'p-limit';
import { UfsError, allowManyListeners, toUfsError } from '@org/core';
import type { UploadEvent } from './events.js';
import type { Provider } from '../types.js';
import { checkPaths, resolveUploadSettings, type UploadFileOptions, type UploadSettings } from './settings.js';
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

/** A decision to come: whether file `index` stores on a provider (true) or never will in this batch (false). */
interface Decision {
  promise: Promise<boolean>;
  resolve: (stored: boolean) => void;
}

/**
 * The keys that files of the batch take on providers whose key comes from the name alone (`s3`, `mount`, `dropbox`
 * without `unique`): two different files named alike would land on one key there, one replacing the other (and the URL
 * of the first serving the second's bytes). This is decided when a file is about to be stored on such a provider, not
 * before any upload: a file that another provider takes first (catbox before mount) has no key to share. The earlier
 * file of the batch wins: a file about to store under a key waits until each earlier file with that key has either
 * stored there (uploaded, and not deleted again after a failed verification: then this provider refuses the later
 * file, INVALID_INPUT, and it goes on to the next provider) or is known not to (its attempt there failed before
 * anything was stored, or it settled elsewhere). Waits only go to earlier files, so they end. Nothing is renamed.
 */
class BatchKeys {
  private readonly decisions = new Map<string, Decision>();
  /** Per provider id, the files (by index) of each key. */
  private readonly byKey = new Map<string, Map<string, number[]>>();

  constructor(
    private readonly paths: readonly string[],
    /** The files actually uploaded: a repeated path (same file, same key) is uploaded once. */
    private readonly uploaded: ReadonlySet<number>,
    private readonly settings: UploadSettings,
    private readonly filename: string | undefined,
  ) {}

  private decision(index: number, id: string): Decision {
    const at = `${index}\0${id}`;
    let decision = this.decisions.get(at);
    if (!decision) {
      let resolve!: (stored: boolean) => void;
      const promise = new Promise<boolean>((done) => (resolve = done));
      decision = { promise, resolve };
      this.decisions.set(at, decision);
    }
    return decision;
  }

  private keyOf(provider: Provider, index: number): string | undefined {
    const id = provider.info.id;
    const options = { ...this.settings.providerOptions[id], env: this.settings.env };
    return provider.nameKey!(this.filename ?? basename(this.paths[index]!), options);
  }

  private filesOf(provider: Provider): Map<string, number[]> {
    const id = provider.info.id;
    let keys = this.byKey.get(id);
    if (!keys) {
      keys = new Map();
      for (const index of this.uploaded) {
        const key = this.keyOf(provider, index);
        if (key !== undefined) keys.set(key, [...(keys.get(key) ?? []), index]);
      }
      this.byKey.set(id, keys);
    }
    return keys;
  }

  /**
   * File `index` is about to be stored on `provider`: refused when an earlier file of the batch with the same key is
   * stored there, else allowed, with `done` to say whether this file is then stored there.
   */
  async claim(index: number, provider: Provider): Promise<{ refused?: UfsError; done?: (stored: boolean) => void }> {
    const id = provider.info.id;
    if (!provider.nameKey) return {};
    const key = this.keyOf(provider, index);
    if (key === undefined) return {};
    const mine = this.decision(index, id);
    for (const earlier of this.filesOf(provider).get(key) ?? []) {
      if (earlier >= index) break;
      if (!(await this.decision(earlier, id).promise)) continue;
      const path = this.paths[index]!;
      const name = this.filename ?? basename(path);
      mine.resolve(false);
      const refused = new UfsError(
        'INVALID_INPUT',
        `[ufs] [${id}] upload "${path}": ${JSON.stringify(this.paths[earlier])} in the same batch has the same name ${JSON.stringify(name)}, and ${id} stores both under one key (${key}): one would replace the other. Give ${id} the option unique (a random part in the name), rename one, or upload them separately`,
        {
          context: { operation: 'upload', path, provider: id, clashesWith: this.paths[earlier] },
          retryable: false,
        },
      );
      return { refused };
    }
    return { done: mine.resolve };
  }

  /** File `index` is done: it stores nowhere else (a decision already made stays). */
  settled(index: number): void {
    for (const id of this.settings.providers) this.decision(index, id).resolve(false);
  }
}

/**
 * Uploads many files with bounded concurrency. Settings (providers, config file) are resolved once; each file gets
 * the full retry/fallback/verify treatment; one file's failure does not stop the others (the caller's abort does).
 * Items come back in the order of `paths`, one per path. A path given again (the same file, once resolved) is uploaded
 * once, and each of its positions gets that upload's item. Two different files that would be stored under one key (same
 * name, on `s3`/`mount`/`dropbox` without `unique`) are never both stored there: the later one fails on that provider
 * with INVALID_INPUT, and goes on to the next provider as after any other failure (see `BatchKeys`).
 */
export async function uploadFiles(paths: readonly string[], options: UploadFilesOptions = {}): Promise<BatchItem[]> {
  checkPaths(paths);
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  const { onFileEvent, onSettled, onEvent } = options;
  const signal = batchSignal(options.signal);
  // The first position of each file; a later position of the same file gets its item, and its events by index.
  const firsts = new Map<string, number>();
  const positions = new Map<number, number[]>();
  const firstOf = paths.map((path, index) => {
    const file = resolve(path);
    if (!firsts.has(file)) firsts.set(file, index);
    const first = firsts.get(file)!;
    positions.set(first, [...(positions.get(first) ?? []), index]);
    return first;
  });
  const keys = new BatchKeys(paths, new Set(firsts.values()), settings, options.filename);
  const settled = (index: number, item: BatchItem): BatchItem => {
    onSettled?.(index, item);
    return item;
  };
  const uploads: Array<Promise<BatchItem>> = [];
  for (const [index, path] of paths.entries()) {
    const first = firstOf[index]!;
    if (first !== index) {
      uploads.push(uploads[first]!.then((item) => settled(index, { ...item, path })));
      continue;
    }
    const fileOptions: UploadFileOptions = {
      ...options,
      signal,
      ...(onFileEvent
        ? {
            onEvent: (event: UploadEvent) => {
              onEvent?.(event);
              for (const position of positions.get(index)!) onFileEvent(position, event);
            },
          }
        : {}),
    };
    const claim = (provider: Provider) => keys.claim(index, provider);
    uploads.push(
      limit(async (): Promise<BatchItem> => {
        let item: BatchItem;
        try {
          item = { path, ok: true, result: await uploadWithSettings(path, settings, fileOptions, claim) };
        } catch (err) {
          item = { path, ok: false, error: toUfsError(err, { operation: 'upload', path }) };
        }
        keys.settled(index);
        return settled(index, item);
      }),
    );
  }
  return Promise.all(uploads);
}
