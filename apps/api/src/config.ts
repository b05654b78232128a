import { UfsError } from '@org/core';
import {
  DEFAULT_BODY_IDLE_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  MAX_DURATION_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  parseCorsOrigins,
} from '@org/server';
import { z } from 'zod';
import { listenHost, storageUrl, wholeNumber, withoutEmptyValues } from './env.js';

const CORS_VARIABLE = 'UFS_TUS_CORS_ORIGIN';
/** The longest duration in seconds (the server's MAX_DURATION_MS: ten years). */
const MAX_DURATION_SECONDS = MAX_DURATION_MS / 1000;

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * `*`, or a comma-separated list of origins (spaces around the commas are fine), checked by the server's own
 * parseCorsOrigins: the message is the one createDedupApp's `tusCorsOrigin` option gives, naming the variable.
 */
const corsOrigins = z.string().transform((value, ctx): '*' | readonly string[] => {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  try {
    // A list without any origin is shown as it was given.
    return parseCorsOrigins(value.trim() === '*' ? '*' : origins.length ? origins : value, CORS_VARIABLE);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Environment of the deployable API. Every variable is documented in apps/api/README.md. */
const envSchema = z.object({
  UFS_HOST: listenHost.default('0.0.0.0'),
  UFS_PORT: wholeNumber({
    unit: '',
    what: 'a port number from 0 to 65535',
    min: 0,
    max: 65_535,
    example: '8000',
    minMessage: 'must be a port number from 0 to 65535',
    maxMessage: 'must be a port number from 0 to 65535',
  }).default(8000),
  /** MongoDB connection string; when absent the embedded store on local disk is used. */
  UFS_MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** Database name; unset: the one the URI names, else `ufs` (see mongoDatabaseName). */
  UFS_MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a MongoDB database name')
    .optional(),
  /** Folder for the embedded store and the default content mount. */
  UFS_DATA_DIR: z.string().min(1).default('./ufs-data'),
  /** Content mount as a URL (`file:///srv/ufs`, `s3://bucket/prefix?…`); default: a folder under UFS_DATA_DIR. */
  UFS_CONTENT_URL: storageUrl.optional(),
  /** Largest accepted upload in bytes. */
  UFS_MAX_UPLOAD_BYTES: wholeNumber({ unit: 'bytes', min: 1, example: '1073741824' }).default(10 * 1024 ** 3),
  /** Largest JSON request body (put_file, batches) in bytes. */
  UFS_MAX_JSON_BYTES: wholeNumber({ unit: 'bytes', min: 1, example: '16777216' }).default(16 * 1024 ** 2),
  /** Requests per minute per API key (0 disables). */
  UFS_RATE_LIMIT_PER_MINUTE: wholeNumber({ unit: 'requests', min: 0, example: '60000' }).default(60_000),
  /** How long a replica reuses an API key record it read (revocation reaches other replicas within this). */
  UFS_KEY_CACHE_MS: wholeNumber({
    unit: 'milliseconds',
    min: 0,
    max: 86_400_000,
    example: '1000',
    maxMessage: 'must be at most 86400000 (a day)',
  }).default(1000),
  /** Content younger than this is never garbage-collected. */
  UFS_GC_GRACE_SECONDS: wholeNumber({
    unit: 'seconds',
    min: 0,
    max: MAX_DURATION_SECONDS,
    example: '3600',
    maxMessage: `must be at most ${MAX_DURATION_SECONDS} (ten years)`,
  }).default(3600),
  /** Lifetime of an unfinished tus upload. */
  UFS_UPLOAD_EXPIRY_SECONDS: wholeNumber({
    unit: 'seconds',
    min: 1,
    max: MAX_DURATION_SECONDS,
    example: '86400',
    maxMessage: `must be at most ${MAX_DURATION_SECONDS} (ten years)`,
  }).default(86_400),
  /** An upload body (PUT content, upload_file, tus PATCH) that sends no byte for this long is ended; a JSON body: 408. */
  UFS_BODY_IDLE_TIMEOUT_SECONDS: wholeNumber({
    unit: 'seconds',
    min: 1,
    max: 86_400,
    example: '90',
    maxMessage: 'must be at most 86400 (a day)',
  }).default(DEFAULT_BODY_IDLE_TIMEOUT_MS / 1000),
  /** Serve /metrics without an API key. */
  UFS_PUBLIC_METRICS: flag.default(false),
  /** Make the content mount this store's although its marker names another store (a lost store replaced on purpose). */
  UFS_ADOPT_CONTENT: flag.default(false),
  /** HMAC secret of signed content URLs (POST /files/{sha256}/share); default: one generated once in the store. */
  UFS_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Origins allowed to use /tus from a browser (CORS): `*` or comma-separated origins; default none. */
  UFS_TUS_CORS_ORIGIN: corsOrigins.optional(),
  /** How long GET /health/ready reuses a readiness result (one probe per interval per replica); 0: every request. */
  UFS_READY_CACHE_MS: wholeNumber({
    unit: 'milliseconds',
    min: 0,
    max: 86_400_000,
    example: '2000',
    maxMessage: 'must be at most 86400000 (a day)',
  }).default(2000),
  /** A readiness check with no answer within this many ms fails. */
  UFS_READY_TIMEOUT_MS: wholeNumber({
    unit: 'milliseconds',
    min: 1,
    max: 86_400_000,
    example: '1000',
    minMessage: 'must be at least 1 millisecond',
    maxMessage: 'must be at most 86400000 (a day)',
  }).default(1000),
  /** Readiness writes and deletes `_probe/<replica id>` in the content mount (else it lists the mount). */
  UFS_READY_CONTENT_PROBE: flag.default(false),
  /** This replica's name in the content probe's key; default: host name and process id. */
  UFS_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", "_" or "-"')
    .optional(),
  /** SIGTERM/SIGINT: how long the drain may take (requests under way, then their handlers settling). */
  UFS_SHUTDOWN_TIMEOUT_SECONDS: wholeNumber({
    unit: 'seconds',
    min: 0,
    max: MAX_SHUTDOWN_TIMEOUT_MS / 1000,
    example: '25',
  }).default(DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000),
  UFS_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

export type ApiConfig = z.output<typeof envSchema>;

/** Reads and validates the API's environment; CONFIG_INVALID names every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const { config, problems } = readConfig(env);
  if (config) return config;
  throw invalidConfig(problems);
}

/**
 * The configuration, or what is wrong with it (one entry per bad variable, each naming it). An empty value is unset
 * (see withoutEmptyValues).
 */
export function readConfig(env: Readonly<Record<string, string | undefined>>): {
  config?: ApiConfig;
  problems: string[];
} {
  const values = withoutEmptyValues(env);
  const result = envSchema.safeParse(values);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        // A message from the server's own checks names its variable already: `UFS_X must be …`.
        const message = issue.message.replace(/^\[ufs\] /, '');
        return message.startsWith(`${name} `) ? message : `${name}: ${message}`;
      });
  if (values.UFS_MONGODB_DB !== undefined && values.UFS_MONGODB_URI === undefined)
    problems.push('UFS_MONGODB_DB is set without UFS_MONGODB_URI: set UFS_MONGODB_URI too, or unset UFS_MONGODB_DB');
  return result.success && problems.length === 0 ? { config: result.data, problems } : { problems };
}

/** The one CONFIG_INVALID error naming every problem of readConfig (and of the start checks). */
export function invalidConfig(problems: readonly string[]): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${problems.join('; ')}`);
}

/** The database a MongoDB URI names (`mongodb://host/prod?…` → `prod`), or undefined when it names none. */
export function uriDatabase(uri: string): string | undefined {
  const [beforeQuery = ''] = uri.replace(/^mongodb(\+srv)?:\/\//, '').split('?');
  // The path starts at the first `/` after the hosts; user info (up to the last `@`) is skipped, `/` in a password too.
  const hostsAndPath = beforeQuery.slice(beforeQuery.lastIndexOf('@') + 1);
  const slash = hostsAndPath.indexOf('/');
  const name = slash < 0 ? '' : hostsAndPath.slice(slash + 1);
  if (name === '') return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * The `dbName` to give the driver for `uri` (it overrides the URI's database): UFS_MONGODB_DB when set, `ufs` when the
 * URI names no database, else none, so that the URI's database is used.
 */
export function mongoDatabaseName(uri: string, configured: string | undefined): string | undefined {
  return configured ?? (uriDatabase(uri) === undefined ? 'ufs' : undefined);
}
