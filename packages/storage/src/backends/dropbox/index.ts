import { normalizeKey, UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import type { FetchFunction } from '../http/fetch-stream.js';
import { DropboxBackend, PROTOCOL } from './backend.js';
import { createClient, type Credentials } from './client.js';

export { DropboxBackend, TEMPORARY_LINK_SECONDS } from './backend.js';

const MiB = 1024 * 1024;

function isFolderKey(value: string): boolean {
  try {
    normalizeKey(value);
    return true;
  } catch {
    return false;
  }
}

const optionsSchema = z
  .object({
    /** A (long- or short-lived) access token. Env: DROPBOX_ACCESS_TOKEN. */
    accessToken: z.string().min(1, 'accessToken must not be empty').optional(),
    /** An offline refresh token; needs appKey (and appSecret unless the app uses PKCE). Env: DROPBOX_REFRESH_TOKEN. */
    refreshToken: z.string().min(1, 'refreshToken must not be empty').optional(),
    /** The app key (client id). Env: DROPBOX_APP_KEY. */
    appKey: z.string().min(1, 'appKey must not be empty').optional(),
    /** The app secret (client secret). Env: DROPBOX_APP_SECRET. */
    appSecret: z.string().min(1, 'appSecret must not be empty').optional(),
    /** Folder of the Dropbox that is the mount's root (`/Apps/backup` or `Apps/backup`); default the whole space. */
    root: z
      .string()
      .refine(isFolderKey, 'root must be a folder path without "..", "//" or control characters')
      .default(''),
    /** Upload session chunk size, also the largest file sent in one call. 1 to 150 MiB; default 8 MiB. */
    chunkSize: z
      .number()
      .int()
      .min(MiB, 'chunkSize must be at least 1 MiB')
      .max(150 * MiB, 'chunkSize must be at most 150 MiB (the API limit per request)')
      .default(8 * MiB),
    /** Per request (RPC call, upload chunk) and, for downloads, for the headers and each wait on the body. */
    timeoutMs: z.number().int().positive('timeoutMs must be a positive number of milliseconds').default(120_000),
    /** Tests only: send `https://<host>.dropboxapi.com/…` to `<apiBaseUrl>/<host>.dropboxapi.com/…` (a fake). */
    apiBaseUrl: z.url({ protocol: /^https?$/, error: 'apiBaseUrl must be an http(s) URL' }).optional(),
    /** A fetch implementation (proxies, tests). */
    fetch: z.custom<FetchFunction>((value) => typeof value === 'function', 'fetch must be a function').optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.refreshToken && !options.appKey) {
      ctx.addIssue({ code: 'custom', path: ['appKey'], message: 'appKey is required with refreshToken' });
    }
  });

export type DropboxOptions = z.output<typeof optionsSchema>;

export default defineBackend({
  protocol: PROTOCOL,
  description: 'Dropbox (API v2 through the dropbox SDK): streamed ranged downloads, upload sessions, temporary links',
  options: optionsSchema,
  create: (options, { mountName, env }) => {
    const credentials: Credentials = {
      accessToken: options.accessToken ?? env.DROPBOX_ACCESS_TOKEN,
      refreshToken: options.refreshToken ?? env.DROPBOX_REFRESH_TOKEN,
      appKey: options.appKey ?? env.DROPBOX_APP_KEY,
      appSecret: options.appSecret ?? env.DROPBOX_APP_SECRET,
    };
    const canRefresh = !!(credentials.refreshToken && credentials.appKey);
    if (!credentials.accessToken && !canRefresh) {
      throw new UfsError(
        'CONFIG_INVALID',
        `[ufs] [dropbox] mount "${mountName}": give accessToken, or refreshToken + appKey (+ appSecret), in the ` +
          'options or as DROPBOX_ACCESS_TOKEN / DROPBOX_REFRESH_TOKEN, DROPBOX_APP_KEY, DROPBOX_APP_SECRET',
        { context: { backend: PROTOCOL, mount: mountName, operation: 'configure' } },
      );
    }
    const client = createClient(credentials, { apiBaseUrl: options.apiBaseUrl, fetch: options.fetch });
    return new DropboxBackend(
      client,
      normalizeKey(options.root),
      { chunkSize: options.chunkSize, timeoutMs: options.timeoutMs },
      mountName,
    );
  },
  // `dropbox://Apps/backup` or `dropbox:///Apps/backup` → root; credentials come from the environment.
  fromUrl: (url) => ({ root: decodeURIComponent(`${url.hostname}${url.pathname}`).replace(/^\/+|\/+$/g, '') }),
});
