import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UfsError, redactUrl, toUfsError } from '@org/core';
import {
  DATA_DIR_STORE_FILE,
  START_PROBE_TIMEOUT_MS as SERVER_START_PROBE_TIMEOUT_MS,
  contentLostOnRestart,
  ensureDataFolder,
  openContentMount,
  probeContentMount,
  withinDeadline,
  type ContentMount,
  type StoreOptions,
} from '@org/server';
import { invalidConfig, readConfig, type ApiConfig } from './config.js';
import { storageUrl, withoutEmptyValues } from './env.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * How long the start may wait for the content storage, for each of opening the mount (an S3 mount asks the bucket
 * whether it is versioned) and the test write (the S3 SDK loads on first use, then a PUT and a DELETE): a service that
 * accepts connections but never answers fails the start after it (69) instead of holding it forever. The same as
 * `ufs serve`'s (@org/server).
 */
export const START_PROBE_TIMEOUT_MS = SERVER_START_PROBE_TIMEOUT_MS;

/** What kind of store the environment selects, for contentLostOnRestart (both kinds of the API keep their records). */
function keptStore(env: Env): StoreOptions {
  const mongoUri = withoutEmptyValues(env).UFS_MONGODB_URI;
  return mongoUri !== undefined ? { mongoUri } : { sqlitePath: DATA_DIR_STORE_FILE };
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
      // Content that a restart loses beside a store that keeps its records (memory:// with SQLite or MongoDB).
      const lost = contentLostOnRestart(mount.backend.protocol, keptStore(env));
      if (lost) problems.push(`UFS_CONTENT_URL "${redactUrl(url)}" ${lost}`);
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

/** The refusal of a setting: CONFIG_INVALID naming the variable and its value. */
export function refuseSetting(variable: string, shown: string) {
  return (why: string, cause?: unknown) =>
    new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${variable} "${shown}" ${why}`, { cause });
}

/**
 * A folder the server keeps data in: created when missing, and writable (ensureDataFolder of @org/server, as for
 * `ufs serve`). CONFIG_INVALID naming the variable else.
 */
export async function ensureFolder(folder: string, variable: string, shown = folder): Promise<void> {
  await ensureDataFolder(folder, refuseSetting(variable, shown));
}

/** UFS_DATA_DIR, when something is kept there (the embedded store, or the default content folder). */
export async function prepareDataDir(config: ApiConfig): Promise<void> {
  if (config.UFS_MONGODB_URI !== undefined && config.UFS_CONTENT_URL !== undefined) return;
  await ensureFolder(resolve(config.UFS_DATA_DIR), 'UFS_DATA_DIR', config.UFS_DATA_DIR);
}

/**
 * The content mount can take content now: its folder exists or is created (a local one), and a tiny object written
 * under the server's temporary prefix (`_tmp/`, collected by gc if ever left) is deleted again, within `timeoutMs`
 * (probeContentMount of @org/server, the check `ufs serve` makes too).
 */
export async function checkContentMount(
  mount: ContentMount,
  place: ContentPlace,
  timeoutMs = START_PROBE_TIMEOUT_MS,
): Promise<void> {
  if (place.folder !== undefined) await ensureFolder(place.folder, place.variable, place.shown);
  const where = `${place.variable} "${place.shown}"`;
  await probeContentMount(mount, where, refuseSetting(place.variable, place.shown), timeoutMs);
}
