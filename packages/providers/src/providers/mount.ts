import { randomBytes } from 'node:crypto';
import { UfsError, joinKey, normalizeKey } from '@org/core';
import type { MountsSource, StorageManager } from '@org/storage';
import { defineProvider, type SendContext } from '../kit/define.js';
import { parseDuration } from '../kit/expiry.js';
import { uniqueName } from '../kit/names.js';
import { optionOrEnv, parseBoolean, type Env } from '../env.js';
import { SDK_LOADERS } from '../registry.js';
import type { ProviderCallOptions } from '../types.js';

const DEFAULT_PRESIGN_MS = 86_400_000;

/** Everything the storage half needs, resolved from options and env. */
export interface MountSettings {
  /** Mounts to configure (array, `{ mounts }`, or the path of a JSON/YAML file); unset when `storage` is given. */
  mounts: MountsSource | undefined;
  /** A ready manager of the caller's (used as is, never disposed here). */
  storage: StorageManager | undefined;
  mount: string;
  /** Folder inside the mount ('' for its root). */
  folder: string;
  /** Random part so uploads never collide: before the extension (`suffix`) or as a folder (`prefix`). */
  unique: false | 'suffix' | 'prefix';
  /** Unset: presigned where the mount can sign, else public. */
  urlMode: 'public' | 'presigned' | undefined;
  /** Presigned URL lifetime without `expire`. */
  expiresInMs: number;
  /** Whether `expiresIn` was given (else `expiresInMs` is the 24 h default, and a mount whose links have one lifetime gives that one). */
  expiresInGiven?: boolean;
  ifNotExists: boolean;
}

function configError(message: string): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] [mount] ${message}`, {
    context: { provider: 'mount', operation: 'configure' },
    retryable: false,
  });
}

function looksLikeStorage(value: unknown): value is StorageManager {
  return typeof value === 'object' && value !== null && typeof (value as StorageManager).node === 'function';
}

function mountsOf(options: ProviderCallOptions, env: Env): MountsSource | undefined {
  const given = options.mounts;
  if (Array.isArray(given) || (typeof given === 'object' && given !== null)) return given as MountsSource;
  return optionOrEnv(given, env, 'UFS_MOUNTS');
}

function targetOf(options: ProviderCallOptions, env: Env): string | undefined {
  return optionOrEnv(options.target, env, 'UFS_MOUNT_TARGET');
}

/** `photos:uploads/2024` → mount `photos`, folder `uploads/2024`; `photos` or `photos:` → the mount's root. */
export function parseTarget(target: string): { mount: string; folder: string } {
  const colon = target.indexOf(':');
  const mount = colon < 0 ? target : target.slice(0, colon);
  if (!/^[A-Za-z0-9_-]+$/.test(mount)) {
    throw configError(
      `target ${JSON.stringify(target)} must be "mount:folder" (mount names: letters, digits, - and _)`,
    );
  }
  const rest = colon < 0 ? '' : target.slice(colon + 1);
  try {
    return { mount, folder: rest.replace(/^\/+|\/+$/g, '') === '' ? '' : normalizeKey(rest) };
  } catch (err) {
    throw configError(`target ${JSON.stringify(target)}: ${(err as Error).message}`);
  }
}

function uniqueMode(value: unknown): MountSettings['unique'] {
  if (value === 'prefix' || value === 'suffix') return value;
  return parseBoolean(value as boolean | string | undefined, 'option unique') ? 'suffix' : false;
}

/** `expiresIn`: seconds (a number) or a duration such as `30m`, `24h`, `7d`. */
function expiresInMs(value: unknown): number {
  if (value === undefined) return DEFAULT_PRESIGN_MS;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value * 1000);
  if (typeof value === 'string') return parseDuration(value, 'mount');
  throw configError(`expiresIn ${JSON.stringify(value)} must be seconds or a duration such as 24h`);
}

/** Reads the mount settings: options win over env variables. */
export function mountSettings(options: ProviderCallOptions, env: Env): MountSettings {
  const storage = looksLikeStorage(options.storage) ? options.storage : undefined;
  const mounts = storage ? undefined : mountsOf(options, env);
  if (!storage && mounts === undefined) {
    throw configError('no mounts: give the option mounts (or storage), or set UFS_MOUNTS to a mounts file');
  }
  const target = targetOf(options, env);
  if (!target) throw configError('no target: give the option target ("mount:folder") or set UFS_MOUNT_TARGET');
  const urlMode = optionOrEnv(options.urlMode, env, 'UFS_MOUNT_URL_MODE');
  if (urlMode !== undefined && urlMode !== 'public' && urlMode !== 'presigned') {
    throw configError(`urlMode ${JSON.stringify(urlMode)} must be "public" or "presigned" (or UFS_MOUNT_URL_MODE)`);
  }
  return {
    mounts,
    storage,
    ...parseTarget(target),
    unique: uniqueMode(options.unique),
    urlMode,
    expiresInMs: expiresInMs(options.expiresIn),
    expiresInGiven: options.expiresIn !== undefined,
    ifNotExists: parseBoolean(options.ifNotExists as boolean | string | undefined, 'option ifNotExists') ?? false,
  };
}

/** The key inside the mount: folder + name, with the random part `unique` asks for. */
export function mountKey(settings: MountSettings, filename: string): string {
  const name =
    settings.unique === 'suffix'
      ? uniqueName(filename)
      : settings.unique === 'prefix'
        ? joinKey(randomBytes(4).toString('hex'), filename)
        : filename;
  return settings.folder ? joinKey(settings.folder, name) : normalizeKey(name);
}

async function send(ctx: SendContext) {
  const settings = mountSettings(ctx.options, ctx.env);
  const key = mountKey(settings, ctx.source.filename);
  const lifetimeMs = ctx.options.expire !== undefined ? parseDuration(ctx.options.expire, 'mount') : undefined;
  const sdk = await SDK_LOADERS.storage();
  return sdk.mountUpload(settings, key, lifetimeMs, ctx);
}

/**
 * Any `@org/storage` mount (local folder, S3, GCS, Azure, SFTP, WebDAV, …): the file is streamed into
 * `target` (`mount:folder`) with `node.write`, and the result is the node's URL: presigned where the mount can
 * sign (S3, GCS, Azure; lifetime `expire`, else `expiresIn`, else 24 h) or its public URL (`baseUrl` of a local or
 * http mount, `publicBaseUrl` of S3). Delete removes the file. The storage package is loaded on first upload.
 */
export default defineProvider({
  info: {
    id: 'mount',
    name: 'storage mount',
    retention: 'as long as the mount keeps it; presigned links expire (default 24 h)',
    expiryChoices: ['1h', '12h', '24h', '72h', '7d'],
    auth: 'required',
    env: ['UFS_MOUNTS', 'UFS_MOUNT_TARGET', 'UFS_MOUNT_URL_MODE'],
    capabilities: { expiry: true, singleDownload: false, delete: true, streaming: true },
  },
  status(env, options) {
    if (!looksLikeStorage(options.storage) && mountsOf(options, env) === undefined) {
      return {
        ready: false,
        reason: 'no mounts are configured',
        help: 'give providerOptions.mount.mounts (mount configs as @org/storage takes them) or export UFS_MOUNTS=<mounts.yaml>',
      };
    }
    if (!targetOf(options, env)) {
      return {
        ready: false,
        reason: 'no target mount',
        help: 'give providerOptions.mount.target or export UFS_MOUNT_TARGET=<mount>:<folder>',
      };
    }
    try {
      mountSettings(options, env);
    } catch (err) {
      return { ready: false, reason: (err as Error).message };
    }
    return { ready: true };
  },
  nameKey: (filename, env, options) => {
    const settings = mountSettings(options, env);
    return settings.unique ? undefined : `${settings.mount}:${mountKey(settings, filename)}`;
  },
  send,
  async delete(result, ctx) {
    const token = result.deleteToken ?? '';
    if (!/^[A-Za-z0-9_-]+:./.test(token)) {
      throw new UfsError('INVALID_INPUT', `[ufs] [mount] delete "${result.url}": deleteToken must be mount:path`, {
        context: ctx.context,
      });
    }
    const settings = mountSettings({ ...ctx.options, target: token.slice(0, token.indexOf(':')) }, ctx.env);
    const sdk = await SDK_LOADERS.storage();
    await sdk.mountDelete(settings, token, ctx);
  },
});
