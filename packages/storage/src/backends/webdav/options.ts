import type { WebDAVClient } from 'webdav';
import { z } from 'zod';
import { timeoutMsSchema } from '../../util/socket-timeouts.js';

/** `true`/`false` as booleans or as the strings a URL query or `${ENV}` interpolation gives. */
const booleanish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const httpUrl = (what: string) =>
  z
    .string()
    .url(`${what} must be an absolute http(s) URL`)
    .refine((v) => /^https?:\/\//i.test(v), `${what} must start with http:// or https://`);

export const webdavOptionsSchema = z
  .strictObject({
    /** Base URL of the WebDAV collection that is the mount root: `https://dav.example.com/remote.php/dav/files/me`. */
    url: httpUrl('"url"').optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** `basic` (default with a username), `digest`, or `auto` (basic, switching to digest when the server asks). */
    authType: z.enum(['basic', 'digest', 'auto']).default('basic'),
    /** Extra headers on every request (e.g. `Authorization: Bearer …`). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Public base URL serving the same tree without credentials (enables `publicUrl`). */
    publicBaseUrl: httpUrl('"publicBaseUrl"').optional(),
    /**
     * The server answers PROPFIND with `Depth: infinity` (many refuse it: Apache's DavDepthInfinity is off by
     * default, nginx has none). When true, recursive listing is one request and `recursiveList` is declared.
     */
    depthInfinity: booleanish.default(false),
    /**
     * Upload to a temporary name, then MOVE into place (default). Readers never see a partial file and
     * `ifNotExists` is enforced by MOVE's `Overwrite: F`. False: one plain PUT (If-None-Match: * for ifNotExists,
     * which some servers ignore): faster, but neither atomic nor reliably conditional.
     */
    atomicWrites: booleanish.default(true),
    /**
     * Time to establish the TCP connection, and socket idle time (nothing received or sent, mid-body too) that fails
     * a request with TIMEOUT; 60 s each by default (DEFAULT_TIMEOUT_MS), 0 for no limit. Not with a ready `client`.
     */
    connectTimeoutMs: timeoutMsSchema('connectTimeoutMs').optional(),
    timeoutMs: timeoutMsSchema('timeoutMs').optional(),
    /** A ready client from the `webdav` package (`createClient(...)`); then `url` and credentials are not needed. */
    client: z
      .custom<WebDAVClient>(
        (v) => typeof v === 'object' && v !== null && typeof (v as { stat?: unknown }).stat === 'function',
        '"client" must be a client made by createClient() of the "webdav" package',
      )
      .optional(),
  })
  .superRefine((o, ctx) => {
    if (o.url === undefined && o.client === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: '"url" is required (the base URL of the WebDAV collection)',
      });
    }
    if (o.client !== undefined) {
      for (const key of ['connectTimeoutMs', 'timeoutMs'] as const) {
        if (o[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `"${key}" cannot be combined with a ready "client": give its agents their own timeouts instead`,
          });
        }
      }
    }
    if (o.password !== undefined && o.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: '"password" is given without "username"' });
    }
  });

export type WebdavOptions = z.output<typeof webdavOptionsSchema>;

const QUERY_KEYS = [
  'publicBaseUrl',
  'depthInfinity',
  'atomicWrites',
  'authType',
  'connectTimeoutMs',
  'timeoutMs',
] as const;

/**
 * `webdav://[user[:password]@]host[:port]/path?…` → `http://host:port/path`; `webdavs://` → `https://`
 * (`dav://`/`davs://` too). Query keys: publicBaseUrl, depthInfinity, atomicWrites, authType,
 * connectTimeoutMs, timeoutMs.
 */
export function webdavOptionsFromUrl(url: URL): Record<string, unknown> {
  const secure = url.protocol === 'webdavs:' || url.protocol === 'davs:';
  const options: Record<string, unknown> = {};
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  options.url = `${secure ? 'https' : 'http'}://${host}${url.pathname || '/'}`;
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  for (const key of QUERY_KEYS) {
    const value = url.searchParams.get(key);
    if (value !== null) options[key] = value;
  }
  return options;
}
