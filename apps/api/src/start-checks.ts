import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { UfsError, redactUrl, toUfsError } from '@org/core';
import { TEMP_PREFIX, openContentMount, type ContentMount } from '@org/server';
import { invalidConfig, readConfig, type ApiConfig } from './config.js';
import { storageUrl, withoutEmptyValues } from './env.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * How long the start may wait for the content storage, for each of opening the mount (an S3 mount asks the bucket
 * whether it is versioned) and the test write (the S3 SDK loads on first use, then a PUT and a DELETE): a service that
 * accepts connections but never answers fails the start after it (69) instead of holding it forever.
 */
export const START_PROBE_TIMEOUT_MS = 10_000;

/** `work` within `timeoutMs`, else TIMEOUT saying `what` got no answer (`work`'s signal is then aborted). */
async function withinDeadline<T>(
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

/**
 * The configuration, checked as far as it can be without writing to a store: readConfig's checks, and the content
 * URL's protocol and options as the storage layer reads them (opening a mount: an S3 one asks the bucket whether it
 * is versioned, within START_PROBE_TIMEOUT_MS). One CONFIG_INVALID names every bad variable.
 */
export async function loadStartConfig(env: Env = process.env, timeoutMs = START_PROBE_TIMEOUT_MS): Promise<ApiConfig> {
  const { config, problems } = readConfig(env);
  const url = withoutEmptyValues(env).UFS_CONTENT_URL;
  let unanswered: UfsError | undefined;
  if (url !== undefined && storageUrl.safeParse(url).success) {
    const opening = openContentMount(url, env);
    try {
      const mount = await withinDeadline('opening the mount', timeoutMs, () => opening);
      await mount.dispose();
    } catch (err) {
      const error = toUfsError(err);
      if (error.code === 'TIMEOUT') {
        void opening.then((late) => late.dispose()).catch(() => undefined); // one that opens late is closed too
        unanswered = new UfsError(
          'UNAVAILABLE',
          `[ufs] the content storage of UFS_CONTENT_URL "${redactUrl(url)}" does not answer: ${error.message.replace(/^\[ufs\]\s*/, '')}`,
          { cause: err },
        );
      }
      // Anything else (none is known) is reported when the app opens the mount.
      if (error.code === 'CONFIG_INVALID' || error.code === 'INVALID_INPUT') {
        const message = error.message.replace(/^\[ufs\]\s*/, '').replace(/ for mount "content"/, '');
        problems.push(`UFS_CONTENT_URL: ${message}`);
      }
    }
  }
  if (!config || problems.length > 0) throw invalidConfig(problems);
  if (unanswered) throw unanswered;
  return config;
}

/** Where content goes, for messages: the variable that names it and the place (a URL without credentials). */
export interface ContentPlace {
  variable: 'UFS_CONTENT_URL' | 'UFS_DATA_DIR';
  shown: string;
  /** The local folder, for a `file://` URL or the default folder under UFS_DATA_DIR. */
  folder?: string;
  /** What openContentMount is given. */
  target: string;
}

export function contentPlace(config: ApiConfig): ContentPlace {
  const url = config.UFS_CONTENT_URL;
  if (url === undefined) {
    const folder = join(resolve(config.UFS_DATA_DIR), 'content');
    return { variable: 'UFS_DATA_DIR', shown: folder, folder, target: folder };
  }
  const folder = /^file:\/\//i.test(url) ? fileURLToPath(url) : undefined;
  return { variable: 'UFS_CONTENT_URL', shown: redactUrl(url), target: url, ...(folder !== undefined && { folder }) };
}

const FOLDER_ERRORS: Readonly<Record<string, string>> = {
  EEXIST: 'is a file, not a folder',
  ENOTDIR: 'is below a file, not a folder',
  EACCES: 'cannot be created: permission denied',
  EPERM: 'cannot be created: operation not permitted',
  EROFS: 'cannot be created: read-only file system',
  ENOENT: 'cannot be created: a folder above it cannot be made',
};

/** A folder the server keeps data in: created when missing, and writable. CONFIG_INVALID naming the variable else. */
export async function ensureFolder(folder: string, variable: string, shown = folder): Promise<void> {
  const refuse = (why: string, cause: unknown) =>
    new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${variable} "${shown}" ${why}`, { cause });
  const found = await stat(folder).catch(() => undefined);
  if (found && !found.isDirectory()) throw refuse('is a file, not a folder', undefined);
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    const why = FOLDER_ERRORS[(err as NodeJS.ErrnoException).code ?? ''];
    if (why) throw refuse(why, err);
    throw toUfsError(err, { operation: `create ${variable}`, path: folder });
  }
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    throw refuse(`is not writable: ${errno === 'EROFS' ? 'read-only file system' : 'permission denied'}`, err);
  }
}

/** UFS_DATA_DIR, when something is kept there (the embedded store, or the default content folder). */
export async function prepareDataDir(config: ApiConfig): Promise<void> {
  if (config.UFS_MONGODB_URI !== undefined && config.UFS_CONTENT_URL !== undefined) return;
  await ensureFolder(resolve(config.UFS_DATA_DIR), 'UFS_DATA_DIR', config.UFS_DATA_DIR);
}

/** Codes of a probe failure an operator fixes in the configuration (78); a service that does not answer is 69. */
const CONFIGURATION = new Set(['PERMISSION_DENIED', 'CONFIG_INVALID', 'INVALID_INPUT', 'NOT_FOUND', 'ALREADY_EXISTS']);
const UNREACHABLE = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);

/** The AWS SDK found no credentials (none in the URL nor in its default chain): the configuration's to fix. */
function missingCredentials(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e.name === 'CredentialsProviderError') return true;
  return false;
}

/**
 * The content mount can take content now: its folder exists or is created (a local one), and a tiny object written
 * under the server's temporary prefix (`_tmp/`, collected by gc if ever left) is deleted again, within `timeoutMs`.
 */
export async function checkContentMount(
  mount: ContentMount,
  place: ContentPlace,
  timeoutMs = START_PROBE_TIMEOUT_MS,
): Promise<void> {
  if (place.folder !== undefined) await ensureFolder(place.folder, place.variable, place.shown);
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
    const where = `${place.variable} "${place.shown}"`;
    if (CONFIGURATION.has(error.code) || missingCredentials(err))
      throw new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${where} cannot be written: ${reason}`, {
        cause: err,
      });
    if (UNREACHABLE.has(error.code))
      throw new UfsError('UNAVAILABLE', `[ufs] the content storage of ${where} does not answer: ${reason}`, {
        cause: err,
      });
    throw new UfsError(error.code, `[ufs] the content storage of ${where} failed a test write: ${reason}`, {
      cause: err,
    });
  }
}
