import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { toUfsError } from '@org/core';
import {
  resolveUploadSettings,
  uploadWithSettings,
  type BatchItem,
  type UploadEvent,
  type UploadFilesOptions,
} from '@org/providers';

/** Listeners expected on a batch's signal: far more than `-c 64` uploads with their requests and waits ever add. */
const MANY_LISTENERS = 100_000;

export interface BatchHooks {
  /** The events of file `index` (UploadEvent names no file: each file gets its own listener). */
  onEvent?(index: number, event: UploadEvent): void;
  /** File `index` is done, uploaded or failed (called as each one ends, in any order). */
  onSettled?(index: number, item: BatchItem): void;
}

/**
 * `uploadFiles` of @org/providers, with a call as each file ends: the same settings (resolved once), bounded
 * concurrency, full retry/fallback/verify per file, one file's failure not stopping the others, items in the order
 * of `paths`. The package's `uploadFiles` reports nothing before the whole batch is done, and `ufs upload` prints
 * each URL as soon as the files before it are done (a `timeout` or Ctrl-C keeps the ones already uploaded).
 */
export async function uploadEach(
  paths: readonly string[],
  options: UploadFilesOptions,
  hooks: BatchHooks = {},
): Promise<BatchItem[]> {
  const settings = await resolveUploadSettings(options);
  const limit = pLimit(options.concurrency ?? settings.concurrency);
  // The batch's own signal, following the caller's: many listeners are expected on it (`-c 12`), and a finite limit
  // (Node 20's getMaxListeners throws on 0, and undici's Request asks it).
  const signal = options.signal && AbortSignal.any([options.signal]);
  if (signal) setMaxListeners(MANY_LISTENERS, signal);
  return Promise.all(
    paths.map((path, index) =>
      limit(async (): Promise<BatchItem> => {
        let item: BatchItem;
        try {
          const fileOptions = {
            ...options,
            signal,
            ...(hooks.onEvent ? { onEvent: (event: UploadEvent) => hooks.onEvent!(index, event) } : {}),
          };
          item = { path, ok: true, result: await uploadWithSettings(path, settings, fileOptions) };
        } catch (err) {
          item = { path, ok: false, error: toUfsError(err, { operation: 'upload', path }) };
        }
        hooks.onSettled?.(index, item);
        return item;
      }),
    ),
  );
}

/**
 * Lines printed in the order of their index as soon as every earlier one is there: line N goes out once items
 * 1..N are settled, whatever order they settle in.
 */
export class InOrder<T> {
  private readonly ready = new Map<number, T>();
  private next = 0;

  constructor(private readonly emit: (value: T, index: number) => void) {}

  add(index: number, value: T): void {
    this.ready.set(index, value);
    while (this.ready.has(this.next)) {
      const current = this.ready.get(this.next)!;
      this.ready.delete(this.next);
      this.emit(current, this.next++);
    }
  }
}
