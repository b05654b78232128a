import { z } from 'zod';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, timeoutMsSchema } from '../../util/socket-timeouts.js';

/** `true`/`false` as booleans or as the strings a URL query or `${ENV}` interpolation gives. */
const booleanish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const sftpOptionsSchema = z
  .strictObject({
    host: z
      .string({ error: '"host" is required (the SFTP server name or address)' })
      .min(1, '"host" must not be empty'),
    port: z.coerce.number().int().min(1).max(65535, '"port" must be 1..65535').default(22),
    username: z.string({ error: '"username" is required' }).min(1, '"username" must not be empty'),
    password: z.string().optional(),
    /** Private key text (OpenSSH or PEM). */
    privateKey: z.string().min(1).optional(),
    /** Path of a private key file on this machine (`~/` is the home folder). */
    privateKeyPath: z.string().min(1).optional(),
    passphrase: z.string().optional(),
    /**
     * Remote base folder. Absolute (`/srv/data`) or relative to the login folder (`data`); empty = the login
     * folder. It must exist. Nothing outside it is ever reached, symlinks included.
     */
    root: z.string().default(''),
    /** Accepted host key fingerprints, as `ssh-keygen -lf` prints them: `SHA256:<base64>`. */
    hostFingerprint: oneOrMany.optional(),
    /** Accepted host public keys, as in `known_hosts` or a `.pub` file: `ssh-ed25519 AAAA… [comment]`. */
    hostKey: oneOrMany.optional(),
    /** Accept any host key. Insecure (man-in-the-middle): only for throwaway test servers. */
    insecureSkipHostKeyCheck: booleanish.default(false),
    /**
     * Milliseconds without an answer from the server while a request waits (no acknowledgement, no data) that fail
     * the operation with TIMEOUT and end the connection; also the limit of the SSH handshake (unless `readyTimeout`
     * is given). 60 s by default (DEFAULT_TIMEOUT_MS, as s3, webdav, azure and gcs), 0 for no limit.
     */
    timeoutMs: timeoutMsSchema('timeoutMs').default(DEFAULT_TIMEOUT_MS),
    /** Milliseconds to wait for the SSH handshake, when it should not be `timeoutMs`. */
    readyTimeout: z.coerce
      .number({ error: 'readyTimeout must be a number of milliseconds' })
      .int('readyTimeout must be a whole number of milliseconds')
      .positive('readyTimeout must be more than 0')
      .max(MAX_TIMEOUT_MS, `readyTimeout must be at most ${MAX_TIMEOUT_MS}`)
      .optional(),
    /** Milliseconds between keepalive probes (0 = off); a dead connection is noticed and replaced. */
    keepaliveInterval: z.coerce.number().int().min(0).default(15_000),
    /** fsync each written file before renaming it into place (durable atomic writes). */
    fsync: booleanish.default(true),
  })
  .superRefine((o, ctx) => {
    if (o.password === undefined && o.privateKey === undefined && o.privateKeyPath === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'give "password", "privateKey" or "privateKeyPath" to authenticate',
      });
    }
    if (o.privateKey !== undefined && o.privateKeyPath !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['privateKeyPath'],
        message: 'give "privateKey" or "privateKeyPath", not both',
      });
    }
    if (!o.insecureSkipHostKeyCheck && o.hostFingerprint === undefined && o.hostKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostFingerprint'],
        message:
          'the server\'s host key must be verified: set "hostFingerprint" (SHA256:…, from ' +
          '`ssh-keyscan -p PORT HOST | ssh-keygen -lf -`) or "hostKey"; "insecureSkipHostKeyCheck": true accepts any ' +
          'key (insecure)',
      });
    }
    for (const fp of o.hostFingerprint ?? []) {
      if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fp)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hostFingerprint'],
          message: `"${fp}" is not a SHA256 fingerprint (expected "SHA256:" and 43 base64 characters)`,
        });
      }
    }
    for (const key of o.hostKey ?? []) {
      if (!/^(\S+\s+)?[A-Za-z0-9+/]+={0,2}(\s.*)?$/.test(key.trim())) {
        ctx.addIssue({
          code: 'custom',
          path: ['hostKey'],
          message: `"${key.slice(0, 40)}…" is not an OpenSSH public key line`,
        });
      }
    }
  });

export type SftpOptions = z.output<typeof sftpOptionsSchema>;

const QUERY_KEYS = [
  'privateKeyPath',
  'passphrase',
  'hostFingerprint',
  'hostKey',
  'insecureSkipHostKeyCheck',
  'timeoutMs',
  'readyTimeout',
  'keepaliveInterval',
  'fsync',
] as const;

/**
 * `sftp://user[:password]@host[:port]/abs/root?privateKeyPath=…&hostFingerprint=SHA256:…`.
 * The path is the remote root: `/srv/data` is absolute, `/~/data` is relative to the login folder, and no path
 * (or `/~`) is the login folder itself.
 */
export function sftpOptionsFromUrl(url: URL): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (url.hostname) options.host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.port) options.port = url.port;
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const path = decodeURIComponent(url.pathname);
  if (path === '' || path === '/~' || path === '/~/') options.root = '';
  else if (path.startsWith('/~/')) options.root = path.slice(3);
  else options.root = path;
  for (const key of QUERY_KEYS) {
    // A `+` in a query string reads as a space; base64 fingerprints never contain spaces, so put it back.
    const values = url.searchParams.getAll(key).map((v) => (key === 'hostFingerprint' ? v.replaceAll(' ', '+') : v));
    if (values.length === 1) options[key] = values[0];
    else if (values.length > 1) options[key] = values;
  }
  return options;
}
