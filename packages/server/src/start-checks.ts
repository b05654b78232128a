// Checks a server makes before it starts, shared by `ufs serve` (packages/cli) and the deployable API (apps/api) so
// that both read a data folder the same way and refuse the same content mounts. Each caller words its refusals
// (the flag or variable it names, its exit status) through a `Refuse`.
import { randomUUID } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { access, constants, lstat, mkdir, readlink, stat } from 'node:fs/promises';
import { dirname, join, parse, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { UfsError, toUfsError } from '@org/core';
import { TEMP_PREFIX } from './content/content-store.js';
import type { ContentMount } from './content/content-mount.js';
import type { StoreOptions } from './dedup-options.js';
import { isRollbackGuard } from './data-dir-guard.js';
import { storeFileError, storeFileProblem } from './sqlite/store-files.js';

/**
 * The embedded SQLite store's file in a data folder (`<data-dir>/ufs.db`, beside `<data-dir>/content/`): the one
 * name of both servers.
 */
export const DATA_DIR_STORE_FILE = 'ufs.db';

/** The name `ufs serve` gave the store file before 0.x: still used when it is the only one there. */
export const OLD_DATA_DIR_STORE_FILE = 'metadata.sqlite';

/** The default content folder in a data folder. */
export const DATA_DIR_CONTENT_FOLDER = 'content';

/** How long a start check waits for the content storage (each of opening the mount and the test write). */
export const START_PROBE_TIMEOUT_MS = 10_000;

/** Builds the error of a refused start: `why` completes a sentence naming the setting, e.g. `is a file, not a folder`. */
export type Refuse = (why: string, cause?: unknown) => UfsError;

/**
 * The store file of a data folder: `ufs.db`, or `metadata.sqlite` when only that one exists (a folder of an older
 * `ufs serve`). Both there is refused (through `refuse`): a start on one of them would show a catalogue without the
 * records of the other, and gc would then delete the content only the other one refers to.
 */
function named(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function dataDirStoreFile(dataDir: string, refuse: Refuse): string {
  const current = join(resolve(dataDir), DATA_DIR_STORE_FILE);
  const old = join(resolve(dataDir), OLD_DATA_DIR_STORE_FILE);
  // A name that is there at all, a dangling link included (which the store then refuses, naming it).
  const hasCurrent = named(current);
  // A folder at the old name is this version's rollback guard (data-dir-guard.ts), never a store.
  const hasOld = named(old) && !isRollbackGuard(old);
  if (hasCurrent && hasOld)
    throw refuse(
      `holds two store files, "${DATA_DIR_STORE_FILE}" and "${OLD_DATA_DIR_STORE_FILE}" (the name of older versions): ` +
        `keep the one with the records (rename it "${DATA_DIR_STORE_FILE}") and move the other away`,
    );
  return hasOld ? old : current;
}

/**
 * The refusal the embedded store gives its file at `path` (a folder, a dangling link, a file that is not SQLite's, one
 * it may not write: CONFIG_INVALID naming it), thrown without making anything. A start asks it before it makes the
 * data folder's content folder, so that a refused store file leaves nothing new behind.
 */
export function checkStoreFile(path: string): void {
  const found = storeFileProblem(path);
  if (found) throw storeFileError(found.file, found.problem);
}

/**
 * Why `protocol` content cannot go with `store`, or undefined: content that does not survive a restart (a memory
 * mount) with a store that does (SQLite in a file, MongoDB) would leave records naming content the server no longer
 * holds; clients would be told never to upload it again.
 */
export function contentLostOnRestart(protocol: string, store: StoreOptions): string | undefined {
  if (protocol !== 'memory') return undefined;
  if ('sqlitePath' in store && store.sqlitePath === ':memory:') return undefined;
  if ('instance' in store) return undefined; // the embedder's own store: it knows how long it lasts
  const kept = 'mongoUri' in store ? 'in MongoDB' : 'in a file';
  return (
    `is a memory mount, whose content is lost when the server stops, while the metadata store (${kept}) keeps ` +
    'its records: after a restart they would name content the server no longer has. Give a folder or an S3 URL'
  );
}

/** The error codes of a folder that cannot be made, and what they mean. */
const FOLDER_ERRORS: Readonly<Record<string, string>> = {
  EEXIST: 'is a file, not a folder',
  ENOTDIR: 'is below a file, not a folder',
  EACCES: 'cannot be created: permission denied',
  EPERM: 'cannot be created: operation not permitted',
  EROFS: 'cannot be created: read-only file system',
  ENOENT: 'cannot be created here (the file system of the folder above takes no new folder)',
};

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? '';

/** What a promise gave or failed with (errors of fs may come from another realm: no instanceof). */
async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * A folder a server keeps data in: created when missing (one level at a time: Node's recursive mkdir loops for
 * ever where a file system answers ENOENT to every mkdir, as /proc does; each made 0700, an existing one is left as it
 * is), and writable. A file in the way, a
 * dangling symbolic link, or a folder that cannot be made or written is refused through `refuse`.
 */
export async function ensureDataFolder(folder: string, refuse: Refuse): Promise<void> {
  const path = resolve(folder);
  // The missing part: from the first component that does not exist down to `path`.
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    const found = await outcome(lstat(existing));
    if (found.ok) {
      if (found.value.isSymbolicLink()) {
        const target = await outcome(stat(existing));
        const errno = target.ok ? '' : errnoOf(target.error);
        if (errno === 'ENOENT' || errno === 'ELOOP') {
          const to = await readlink(existing).catch(() => '?');
          const what = errno === 'ELOOP' ? 'a symbolic link that loops' : 'a dangling symbolic link';
          throw refuse(
            existing === path
              ? `is ${what} (to "${to}"): create its target or remove the link`
              : `is below ${what}, "${existing}" (to "${to}"): create its target or remove the link`,
            target.ok ? undefined : target.error,
          );
        }
        if (target.ok && !target.value.isDirectory())
          throw refuse(FOLDER_ERRORS[existing === path ? 'EEXIST' : 'ENOTDIR']!);
      } else if (!found.value.isDirectory()) {
        throw refuse(FOLDER_ERRORS[existing === path ? 'EEXIST' : 'ENOTDIR']!);
      }
      break;
    }
    const errno = errnoOf(found.error);
    if (errno === 'ENOTDIR') throw refuse(FOLDER_ERRORS.ENOTDIR!, found.error);
    // ENOENT: missing; ELOOP: below a link that loops, named when the walk up reaches it.
    if (errno !== 'ENOENT' && errno !== 'ELOOP')
      throw refuse(`cannot be read: ${errno || String(found.error)}`, found.error);
    if (existing === parse(existing).root) break;
    missing.unshift(existing);
    existing = dirname(existing);
  }
  for (const level of missing) {
    try {
      await mkdir(level, { mode: 0o700 }); // private, as restic makes a repository: the store's secrets are kept here
    } catch (err) {
      if (errnoOf(err) === 'EEXIST' && (await stat(level).catch(() => undefined))?.isDirectory()) continue; // made meanwhile
      const why = FOLDER_ERRORS[errnoOf(err)];
      if (why) throw refuse(why, err);
      throw toUfsError(err, { operation: 'create the data folder', path: level });
    }
  }
  try {
    await access(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw refuse(`is not writable: ${errnoOf(err) === 'EROFS' ? 'read-only file system' : 'permission denied'}`, err);
  }
}

/** `work` within `timeoutMs`, else TIMEOUT saying `what` got no answer (`work`'s signal is then aborted). */
export async function withinDeadline<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new UfsError('TIMEOUT', `[ufs] ${what} got no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  const running = work(abort.signal);
  running.catch(() => undefined); // after the deadline, its failure (aborted) is no news
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Codes of a probe failure an operator fixes in the configuration; a service that does not answer is UNAVAILABLE. */
const CONFIGURATION = new Set(['PERMISSION_DENIED', 'CONFIG_INVALID', 'INVALID_INPUT', 'NOT_FOUND', 'ALREADY_EXISTS']);
const UNREACHABLE = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);

/** The AWS SDK found no credentials (none in the URL nor in its default chain): the configuration's to fix. */
function missingCredentials(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e.name === 'CredentialsProviderError') return true;
  return false;
}

/**
 * The content mount takes content now: a tiny object written under the server's temporary prefix (`_tmp/`,
 * collected by gc if ever left) is deleted again, within `timeoutMs`. A refusal the configuration must fix (a wrong
 * secret, a missing bucket, no permission) goes through `refuse` as `cannot be written: …`; a service that does not
 * answer is UNAVAILABLE and anything else keeps its code, both naming `where` (e.g. `UFS_CONTENT_URL "s3://b/p"`).
 */
export async function probeContentMount(
  mount: ContentMount,
  where: string,
  refuse: Refuse,
  timeoutMs = START_PROBE_TIMEOUT_MS,
): Promise<void> {
  const key = `${TEMP_PREFIX}/start-probe-${randomUUID()}`;
  const body = Buffer.from('ufs start probe\n');
  try {
    await withinDeadline('a test write', timeoutMs, async (signal) => {
      await mount.backend.write(key, Readable.from([body]), { size: body.length, signal });
      await mount.backend.delete(key, { signal });
    });
  } catch (err) {
    const error = toUfsError(err);
    const reason = error.message.replace(/^\[ufs\]\s*/, '');
    if (CONFIGURATION.has(error.code) || missingCredentials(err)) throw refuse(`cannot be written: ${reason}`, err);
    if (UNREACHABLE.has(error.code))
      throw new UfsError('UNAVAILABLE', `[ufs] the content storage of ${where} does not answer: ${reason}`, {
        cause: err,
      });
    throw new UfsError(error.code, `[ufs] the content storage of ${where} failed a test write: ${reason}`, {
      cause: err,
    });
  }
}
