import { randomBytes } from 'node:crypto';
import { baseName, parentKey, UfsError, type ErrorContext } from '@org/core';
import type { DropboxClient } from './client.js';
import { dropboxError } from './errors.js';

/** What copy_v2/move_v2 and a replace need of the backend. */
export interface Mover {
  sdk(): DropboxClient['sdk'];
  /** The Dropbox path of a key naming a file or folder below the mount root. */
  path(key: string, operation: string): string;
  request(signal?: AbortSignal): { signal?: AbortSignal; timeout: number };
  /** Deletes a key (the backend's `delete`). */
  remove(key: string): Promise<void>;
}

/** One copy_v2 or move_v2 call; its error as a UfsError naming both paths. */
export async function relocate(
  mover: Mover,
  operation: 'copy' | 'rename',
  from: string,
  to: string,
  context: ErrorContext,
  signal?: AbortSignal,
): Promise<void> {
  const arg = { from_path: mover.path(from, operation), to_path: mover.path(to, operation), autorename: false };
  try {
    if (operation === 'copy') await mover.sdk().filesCopyV2(arg, mover.request(signal));
    else await mover.sdk().filesMoveV2(arg, mover.request(signal));
  } catch (err) {
    throw dropboxError(err, context);
  }
}

/**
 * Replaces the file at `to` so that a failure at any step leaves the previous file there (or, if even putting it
 * back fails, at a hidden name the error gives): a copy first goes to a hidden name beside `to`; then the previous
 * file is moved aside to another hidden name, the new one moved into place, and only then the previous one deleted.
 * The steps after the first run without the caller's signal, so an abort cannot stop them half-way.
 */
export async function replaceFile(
  mover: Mover,
  operation: 'copy' | 'rename',
  from: string,
  to: string,
  context: ErrorContext,
  signal: AbortSignal | undefined,
): Promise<void> {
  let source = from;
  if (operation === 'copy') {
    source = hiddenSibling(to, 'part');
    await relocate(mover, 'copy', from, source, context, signal);
  }
  const dropCopy = async (error: unknown): Promise<never> => {
    if (source !== from) await mover.remove(source).catch((cleanup: unknown) => attachCleanup(error, cleanup));
    throw error;
  };
  const backup = hiddenSibling(to, 'old');
  await relocate(mover, 'rename', to, backup, context).catch(dropCopy);
  try {
    await relocate(mover, 'rename', source, to, context);
  } catch (error) {
    try {
      await relocate(mover, 'rename', backup, to, context);
    } catch (restore) {
      throw new UfsError(
        (error as UfsError).code,
        `${(error as UfsError).message}; the previous "${to}" could not be put back (${(restore as Error).message}) and is kept as "${backup}"`,
        { context: { ...context, backup }, cause: error, retryable: false },
      );
    }
    return dropCopy(error);
  }
  // The new file is in place: the operation succeeded even if the previous one cannot be deleted now (it then
  // stays under its hidden name, where nothing of the caller's is lost).
  await mover.remove(backup).catch(() => undefined);
}

/** A hidden name beside `key` for a transient file of a replace: `.name.ufs-<random>.<kind>`. */
function hiddenSibling(key: string, kind: 'part' | 'old'): string {
  const parent = parentKey(key);
  const name = `.${baseName(key).slice(0, 180)}.ufs-${randomBytes(6).toString('hex')}.${kind}`;
  return parent === '' ? name : `${parent}/${name}`;
}

/** Notes on an error that cleaning up after it failed too. */
function attachCleanup(error: unknown, cleanup: unknown): never {
  const detail = cleanup instanceof Error ? cleanup.message : String(cleanup);
  throw error instanceof UfsError ? error.withContext({ cleanupError: detail }) : error;
}
