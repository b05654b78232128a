import { basename } from 'node:path';
import pLimit from 'p-limit';
import { toUfsError } from '@org/core';
import { fileSource, uploadFiles, type BatchItem, type UploadEvent, type UploadFilesOptions } from '@org/providers';
import { STDIN, type Spools } from './spool.js';

export interface UploadAllOptions {
  /** The options of every upload (without the per-file hooks, given below). */
  options: UploadFilesOptions;
  /** Files uploaded at once. */
  concurrency: number;
  spools: Spools;
  signal: AbortSignal;
  onFileEvent(index: number, event: UploadEvent): void;
  /** File `index` is done (its item carries the path the library saw: a spool's, for a spooled input). */
  onSettled(index: number, item: BatchItem): void;
}

/** Whether `file` must be uploaded from a copy: stdin, or a file whose stat size is not its content's (/proc, /sys). */
async function needsSpool(file: string): Promise<boolean> {
  if (file === STDIN) return true;
  try {
    await fileSource(file);
    return false;
  } catch (err) {
    // Any other problem (missing, a folder) is the upload's to report, worded as usual.
    return toUfsError(err).context.pseudoFile !== undefined;
  }
}

/** The name a service sees for `file` (stdin's spool is called "stdin"). */
function nameOf(file: string): string {
  return file === STDIN ? 'stdin' : basename(file);
}

/**
 * Uploads `files` in one run. Files that need a copy first (stdin, /proc and /sys files; see Spools) are spooled
 * while the others upload, and each is uploaded as soon as its copy is complete; so a slow stdin holds up no other
 * file. At most `concurrency` files upload at once: with spooled inputs, one of those places is theirs (with one place
 * only, they go after the others). A spool that fails (stdin is a folder, the temporary folder is unusable, a signal)
 * fails that file alone. When a spooled input has the name of another file, all go as one batch once every copy is
 * done, so that the library's check of names that would land on one key sees them together.
 */
export async function uploadAll(files: readonly string[], run: UploadAllOptions): Promise<BatchItem[]> {
  const { options, concurrency, spools, signal } = run;
  const items: BatchItem[] = new Array<BatchItem>(files.length);
  const record = (index: number, item: BatchItem) => {
    items[index] = item;
    run.onSettled(index, item);
  };
  const batch = async (indices: readonly number[], paths: readonly string[], at: number) => {
    if (indices.length === 0) return;
    await uploadFiles(paths, {
      ...options,
      signal,
      concurrency: at,
      onFileEvent: (i, event) => run.onFileEvent(indices[i]!, event),
      onSettled: (i, item) => record(indices[i]!, item),
    });
  };
  const spool = async (index: number): Promise<string | undefined> => {
    try {
      return await spools.spool(files[index]!, signal);
    } catch (err) {
      record(index, { path: files[index]!, ok: false, error: toUfsError(err) });
      return undefined;
    }
  };

  const late: number[] = [];
  for (const [index, file] of files.entries()) if (await needsSpool(file)) late.push(index);
  const direct = files.map((_, index) => index).filter((index) => !late.includes(index));
  if (late.length === 0) {
    await batch(direct, files, concurrency);
    return items;
  }

  const names = files.map(nameOf);
  const clash = late.some((index) => names.some((name, other) => other !== index && name === names[index]));
  if (clash) {
    const paths = [...files];
    const spooled = await Promise.all(late.map(spool));
    late.forEach((index, n) => (paths[index] = spooled[n] ?? ''));
    const ready = files.map((_, index) => index).filter((index) => paths[index] !== '');
    await batch(
      ready,
      ready.map((index) => paths[index]!),
      concurrency,
    );
    return items;
  }

  const directPlaces = concurrency > 1 ? concurrency - 1 : 1;
  const directDone = batch(
    direct,
    direct.map((index) => files[index]!),
    directPlaces,
  );
  const waitForDirect = direct.length > 0 && concurrency === 1;
  const lateLimit = pLimit(direct.length === 0 ? concurrency : Math.max(1, concurrency - directPlaces));
  const lateDone = late.map(async (index) => {
    const path = await spool(index);
    if (path === undefined) return;
    try {
      await lateLimit(async () => {
        if (waitForDirect) await directDone.catch(() => undefined);
        await batch([index], [path], 1);
      });
    } finally {
      await spools.remove(path);
    }
  });
  const outcomes = await Promise.allSettled([directDone, ...lateDone]);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return items;
}
