import { UfsError } from '@org/core';
import { parseCorsOrigins } from '@org/server';
import { z } from 'zod';

const CORS_VARIABLE = 'UFS_TUS_CORS_ORIGIN';

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
  UFS_HOST: z.string().default('0.0.0.0'),
  UFS_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
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
  UFS_CONTENT_URL: z.string().url().optional(),
  /** Largest accepted upload in bytes. */
  UFS_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 3),
  /** Largest JSON request body (put_file, batches) in bytes. */
  UFS_MAX_JSON_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 ** 2),
  /** Requests per minute per API key (0 disables). */
  UFS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
  /** How long a replica reuses an API key record it read (revocation reaches other replicas within this). */
  UFS_KEY_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /** Content younger than this is never garbage-collected. */
  UFS_GC_GRACE_SECONDS: z.coerce.number().int().min(0).default(3600),
  /** Lifetime of an unfinished tus upload. */
  UFS_UPLOAD_EXPIRY_SECONDS: z.coerce.number().int().positive().default(86_400),
  /** Serve /metrics without an API key. */
  UFS_PUBLIC_METRICS: flag.default(false),
  /** HMAC secret of signed content URLs (POST /files/{sha256}/share); default: one generated once in the store. */
  UFS_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Origins allowed to use /tus from a browser (CORS): `*` or comma-separated origins; default none. */
  UFS_TUS_CORS_ORIGIN: corsOrigins.optional(),
  UFS_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

export type ApiConfig = z.output<typeof envSchema>;

/** Reads and validates the API's environment; CONFIG_INVALID names every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    // A message from the server's own checks names its variable already: `UFS_X must be …`.
    const message = issue.message.replace(/^\[ufs\] /, '');
    return message.startsWith(`${name} `) ? message : `${name}: ${message}`;
  });
  throw new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${problems.join('; ')}`);
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
