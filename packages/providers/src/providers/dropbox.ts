import { UfsError, joinKey, normalizeKey } from '@org/core';
import { defineProvider } from '../kit/define.js';
import { uniqueName } from '../kit/names.js';
import { envValue, optionOrEnv, parseBoolean, type Env } from '../env.js';
import { SDK_LOADERS } from '../registry.js';
import type { ProviderCallOptions } from '../types.js';

const MiB = 1024 * 1024;

export interface DropboxSettings {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  appKey: string | undefined;
  appSecret: string | undefined;
  /** Replaces `https://{api,content,notify}.dropboxapi.com` (tests, proxies); undefined for Dropbox itself. */
  apiBaseUrl: string | undefined;
  /** Folder to upload into, e.g. `/ufs`. */
  uploadPath: string;
  unique: boolean;
  force: boolean;
  /** Files larger than this go through an upload session. */
  sessionThreshold: number;
  /** Bytes per upload-session request. */
  chunkSize: number;
}

function credentialsOf(options: ProviderCallOptions, env: Env) {
  return {
    accessToken: optionOrEnv(options.accessToken, env, 'DROPBOX_ACCESS_TOKEN'),
    refreshToken: optionOrEnv(options.refreshToken, env, 'DROPBOX_REFRESH_TOKEN'),
    appKey: optionOrEnv(options.appKey, env, 'DROPBOX_APP_KEY'),
    appSecret: optionOrEnv(options.appSecret, env, 'DROPBOX_APP_SECRET'),
  };
}

function positive(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] [dropbox] option ${what} must be a positive integer (bytes), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function dropboxSettings(options: ProviderCallOptions, env: Env): DropboxSettings {
  const credentials = credentialsOf(options, env);
  const rawPath = optionOrEnv(options.uploadPath, env, 'UFS_DROPBOX_UPLOAD_PATH') ?? '/ufs';
  const folder = rawPath.replace(/^\/+|\/+$/g, '');
  const chunkSize = positive(options.chunkSize, 64 * MiB, 'chunkSize');
  if (chunkSize > 150 * MiB)
    throw new UfsError(
      'CONFIG_INVALID',
      '[ufs] [dropbox] option chunkSize must be at most 150 MiB (Dropbox refuses larger requests)',
    );
  const base = (typeof options.baseUrl === 'string' && options.baseUrl) || envValue(env, 'UFS_DROPBOX_URL');
  return {
    ...credentials,
    apiBaseUrl: base ? base.replace(/\/+$/, '') : undefined,
    uploadPath: folder ? `/${normalizeKey(folder)}` : '',
    unique: parseBoolean(options.unique as boolean | string | undefined, 'option unique') ?? false,
    force: parseBoolean(options.force as boolean | string | undefined, 'option force') ?? false,
    sessionThreshold: Math.min(positive(options.sessionThreshold, 128 * MiB, 'sessionThreshold'), 150 * MiB),
    chunkSize,
  };
}

/** The Dropbox path for a file: upload folder + name (+ random suffix when `unique`). */
export function dropboxPath(settings: DropboxSettings, filename: string): string {
  const name = normalizeKey(settings.unique ? uniqueName(filename) : filename);
  return `/${settings.uploadPath ? joinKey(settings.uploadPath.slice(1), name) : name}`;
}

/**
 * Dropbox through the official `dropbox` SDK (API v2): `files/upload` for small files, an upload session
 * (start / append_v2 / finish, `chunkSize` bytes per request) above `sessionThreshold`; then a shared link
 * (`sharing/create_shared_link_with_settings`, or the existing one from `sharing/list_shared_links`) turned into a
 * direct download (`dl=1`). Options: `uploadPath` (default `/ufs`), `unique`, `force` (overwrite instead of failing
 * on a name clash). Delete removes the file (`files/delete_v2`).
 */
export default defineProvider({
  info: {
    id: 'dropbox',
    name: 'Dropbox',
    homepage: 'https://www.dropbox.com/developers/documentation/http/documentation',
    maxSize: 350 * 1024 ** 3,
    retention: 'until deleted from the Dropbox account',
    auth: 'required',
    env: [
      'DROPBOX_ACCESS_TOKEN',
      'DROPBOX_REFRESH_TOKEN',
      'DROPBOX_APP_KEY',
      'DROPBOX_APP_SECRET',
      'UFS_DROPBOX_UPLOAD_PATH',
      'UFS_DROPBOX_URL',
    ],
    capabilities: { expiry: false, singleDownload: false, delete: true, streaming: true },
  },
  status(env, options) {
    const c = credentialsOf(options, env);
    if (!c.accessToken && !(c.refreshToken && c.appKey)) {
      return {
        ready: false,
        reason: 'neither DROPBOX_ACCESS_TOKEN nor DROPBOX_REFRESH_TOKEN + DROPBOX_APP_KEY is set',
        help: 'create an app at https://www.dropbox.com/developers/apps (scopes files.content.write, sharing.write) and export DROPBOX_ACCESS_TOKEN, or DROPBOX_REFRESH_TOKEN with DROPBOX_APP_KEY (and DROPBOX_APP_SECRET)',
      };
    }
    try {
      dropboxSettings(options, env);
    } catch (err) {
      return { ready: false, reason: (err as Error).message };
    }
    return { ready: true };
  },
  nameKey: (filename, env, options) => {
    const settings = dropboxSettings(options, env);
    // Dropbox paths ignore case.
    return settings.unique ? undefined : dropboxPath(settings, filename).toLowerCase();
  },
  async send(ctx) {
    const settings = dropboxSettings(ctx.options, ctx.env);
    const sdk = await SDK_LOADERS.dropbox();
    return sdk.dropboxUpload(settings, dropboxPath(settings, ctx.source.filename), ctx);
  },
  async delete(result, ctx) {
    if (!result.deleteToken?.startsWith('/')) {
      throw new UfsError(
        'INVALID_INPUT',
        `[ufs] [dropbox] delete "${result.url}": deleteToken must be the Dropbox path`,
        { context: ctx.context },
      );
    }
    const sdk = await SDK_LOADERS.dropbox();
    await sdk.dropboxDelete(dropboxSettings(ctx.options, ctx.env), result.deleteToken, ctx);
  },
});
