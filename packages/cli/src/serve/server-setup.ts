import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UfsError, redactUrl } from '@org/core';
import type { StoreOptions } from '@org/server';
import type { CliConfig } from '../config/cli-config.js';
import { dataDir, expandPath } from '../config/paths.js';
import { loadServerPackage } from '../lazy.js';

export interface ServerPlaces {
  dataDir: string;
  store: StoreOptions;
  /** Content mount: a folder path or a storage URL (`s3://…`). */
  content: string;
  /** Where metadata lives, for people (never credentials). */
  storeDescription: string;
}

/**
 * A folder the server keeps data in, created when missing (ensureDataFolder of @org/server, as for the API server).
 * A file or a dangling symbolic link in the way, or a folder that cannot be made, is a clear error naming the path:
 * a usage error (64) when the path came from a flag, a configuration error (78) otherwise.
 */
async function ensureFolder(path: string, what: string, fromFlag: boolean): Promise<void> {
  const { ensureDataFolder } = await loadServerPackage();
  await ensureDataFolder(path, refuseFolder(path, what, fromFlag));
}

/** The refusal of a folder setting: INVALID_INPUT from a flag, CONFIG_INVALID from the configuration. */
export function refuseFolder(path: string, what: string, fromFlag: boolean) {
  return (why: string, cause?: unknown) =>
    new UfsError(fromFlag ? 'INVALID_INPUT' : 'CONFIG_INVALID', `[ufs] ${what} "${path}" ${why}`, {
      ...(cause !== undefined && { cause }),
      context: { operation: 'serve', path },
    });
}

/** The folder a content target names: a plain path or a `file://` URL; undefined for other storage URLs. */
function contentFolder(target: string): string | undefined {
  if (/^file:\/\//i.test(target)) {
    try {
      return fileURLToPath(target);
    } catch (err) {
      throw new UfsError('INVALID_INPUT', `[ufs] --content "${target}" is not a usable file:// URL`, { cause: err });
    }
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? undefined : target;
}

/**
 * `--content` naming a folder (a path or a `file://` URL): one that exists must be a folder (a file is a usage error,
 * 64); then it is made when missing and must be writable, as the API server checks its content folder
 * (ensureDataFolder), before the mount's test write: a folder that can never be made (/proc/…), one below a file or a
 * dangling link, or one without write permission is a configuration error (78) at once, not a test write that waits
 * for its deadline (a recursive mkdir on /proc loops) and then says the storage "does not answer" (69).
 */
async function checkContentFolder(target: string): Promise<void> {
  const folder = contentFolder(target);
  if (folder === undefined) return;
  const found = await stat(folder).catch(() => undefined);
  if (found && !found.isDirectory()) {
    throw new UfsError('INVALID_INPUT', `[ufs] --content "${folder}" is a file: give a folder or a storage URL`, {
      context: { operation: 'serve', path: folder },
    });
  }
  const { ensureDataFolder } = await loadServerPackage();
  await ensureDataFolder(folder, (why, cause) => {
    return new UfsError('CONFIG_INVALID', `[ufs] --content "${redactUrl(target).split('?')[0]}" ${why}`, {
      ...(cause !== undefined && { cause }),
      context: { operation: 'serve', path: folder },
    });
  });
}

/**
 * Where `ufs serve` (and the local admin commands) keep things: `--data-dir`, else config `serve.dataDir`, else
 * `$XDG_DATA_HOME/ufs` (`~/.local/share/ufs`) holding `ufs.db` (the store) and `content/`, the layout of the API
 * server's UFS_DATA_DIR (a folder of an older version, with `metadata.sqlite` instead, is used as it is). `--mongodb`
 * and `--content` replace either part.
 */
export async function serverPlaces(
  flags: { 'data-dir'?: string; mongodb?: string; content?: string },
  config: CliConfig,
): Promise<ServerPlaces> {
  for (const flag of ['data-dir', 'content'] as const) {
    // Never "not given": `--data-dir "$DIR"` with DIR unset would otherwise use (and write in) the default folder.
    if (flags[flag] !== undefined && flags[flag].trim() === '') {
      throw new UfsError(
        'INVALID_INPUT',
        `[ufs] --${flag} is empty: give a folder${flag === 'content' ? ' or a storage URL' : ''} (an unset variable?)`,
        { context: { operation: 'serve' } },
      );
    }
  }
  const fromFlag = flags['data-dir'] !== undefined;
  const dir = flags['data-dir']
    ? expandPath(flags['data-dir'])
    : config.serve.dataDir
      ? expandPath(config.serve.dataDir)
      : dataDir();
  const named = fromFlag ? '--data-dir' : config.serve.dataDir ? 'data folder (config "serve.dataDir")' : 'data folder';
  await ensureFolder(dir, named, fromFlag);
  const { DATA_DIR_CONTENT_FOLDER, checkStoreFile, dataDirStoreFile } = await loadServerPackage();
  // Not looked at with --mongodb: the data folder then holds only the content.
  const sqlitePath = flags.mongodb ? '' : dataDirStoreFile(dir, refuseFolder(dir, named, fromFlag));
  // A store file the store would refuse is refused before the content folder is made: a refused start makes nothing.
  if (sqlitePath) checkStoreFile(sqlitePath);
  const store: StoreOptions = flags.mongodb ? { mongoUri: flags.mongodb } : { sqlitePath };
  const content = flags.content ?? join(dir, DATA_DIR_CONTENT_FOLDER);
  if (flags.content) await checkContentFolder(flags.content);
  else await ensureFolder(content, 'content folder', fromFlag);
  return {
    dataDir: dir,
    store,
    content,
    storeDescription: flags.mongodb ? `mongodb ${redactUrl(flags.mongodb)}` : `sqlite ${sqlitePath}`,
  };
}
