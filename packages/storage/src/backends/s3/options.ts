import { normalizeKey, redactUrl, UfsError } from '@org/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3 limits: parts are 5 MiB..5 GiB (the last one may be smaller); a CopyObject copies at most 5 GiB. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10_000;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
};

/** Bytes as a number or a string such as `8MiB`, `16M`, `1GiB` (K/M/G are binary: 1M = 1 MiB). */
function byteSize(what: string, min: number, max: number) {
  return z
    .union([z.number(), z.string()], { error: `${what} must be a number of bytes or a size such as "8MiB"` })
    .transform((value, ctx) => {
      let bytes = value as number;
      if (typeof value === 'string') {
        const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
        const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
        if (!match || unit === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${what} "${value}" is not a size (use bytes or e.g. "8MiB", "1GiB")`,
          });
          return z.NEVER;
        }
        bytes = Math.round(Number(match[1]) * unit);
      }
      if (!Number.isInteger(bytes) || bytes < min || bytes > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} must be a whole number of bytes from ${min} to ${max}, got ${value}`,
        });
        return z.NEVER;
      }
      return bytes;
    });
}

/** A boolean, also accepted as "true"/"false"/"1"/"0" (URL query values and `${ENV}` interpolation are strings). */
function booleanish(what: string) {
  return z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: `${what} must be true or false` })
    .transform((v) => v === true || v === 'true' || v === '1');
}

function integer(what: string, min: number, max: number) {
  return z.coerce
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);
}

function httpUrl(what: string) {
  return z.url({ protocol: /^https?$/, error: `${what} must be an http(s) URL such as "https://s3.example.com"` });
}

// Lenient on purpose: AWS wants 3-63 lowercase characters, but radosgw, MinIO and older regions accept more.
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

function looksLikeClient(value: unknown): value is S3Client {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function' &&
    typeof (value as { config?: unknown }).config === 'object'
  );
}

/** Connection options that only make sense when this backend builds the client itself. */
const CLIENT_OPTIONS = [
  'region',
  'endpoint',
  'forcePathStyle',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'maxAttempts',
  'checksums',
  'connectTimeoutMs',
  'timeoutMs',
] as const;

/** The default of `connectTimeoutMs` and `timeoutMs` (the AWS CLI's connect and read timeouts; rclone's --contimeout). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); 0 turns a timeout off. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export const s3OptionsSchema = z
  .strictObject({
    bucket: z
      .string({ error: 'bucket is required: the name of the S3 bucket, e.g. "photos"' })
      .regex(
        BUCKET_NAME,
        'bucket must be a bucket name (3-255 letters, digits, ".", "-", "_"; starting and ending with a letter or digit), not a URL or a path',
      ),
    prefix: z
      .string({ error: 'prefix must be a string such as "backups/2024"' })
      .transform((value, ctx) => {
        try {
          return normalizeKey(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `prefix is not a valid key prefix: ${(err as Error).message}` });
          return z.NEVER;
        }
      })
      .optional(),
    region: z.string().min(1, 'region must not be empty').optional(),
    endpoint: httpUrl('endpoint').optional(),
    forcePathStyle: booleanish('forcePathStyle').optional(),
    accessKeyId: z.string().min(1, 'accessKeyId must not be empty').optional(),
    secretAccessKey: z.string().min(1, 'secretAccessKey must not be empty').optional(),
    sessionToken: z.string().min(1, 'sessionToken must not be empty').optional(),
    publicBaseUrl: httpUrl('publicBaseUrl').optional(),
    partSize: byteSize('partSize', MIN_PART_SIZE, MAX_PART_SIZE).default(8 * MiB),
    queueSize: integer('queueSize', 1, 64).default(4),
    copyPartSize: byteSize('copyPartSize', MIN_PART_SIZE, MAX_PART_SIZE).default(256 * MiB),
    multipartCopyThreshold: byteSize('multipartCopyThreshold', MIN_PART_SIZE, MAX_PART_SIZE).default(MAX_PART_SIZE),
    maxAttempts: integer('maxAttempts', 1, 20).optional(),
    // Defaults (DEFAULT_TIMEOUT_MS) are applied by s3Client(): a default here would clash with a handed-in client.
    connectTimeoutMs: integer('connectTimeoutMs', 0, MAX_TIMEOUT_MS).optional(),
    timeoutMs: integer('timeoutMs', 0, MAX_TIMEOUT_MS).optional(),
    checksums: z
      .enum(['when_supported', 'when_required'], {
        error: 'checksums must be "when_supported" or "when_required"',
      })
      .optional(),
    conditionalWrite: booleanish('conditionalWrite').default(true),
    versioning: z
      .union([z.literal('auto'), booleanish('versioning')], { error: 'versioning must be true, false or "auto"' })
      .default('auto'),
    client: z
      .custom<S3Client>(looksLikeClient, { error: 'client must be an S3Client from @aws-sdk/client-s3' })
      .optional(),
  })
  .superRefine((options, ctx) => {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [options.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
        message: 'accessKeyId and secretAccessKey go together: give both, or neither to use the AWS default chain',
      });
    }
    if (options.sessionToken !== undefined && options.accessKeyId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sessionToken'],
        message: 'sessionToken needs accessKeyId and secretAccessKey',
      });
    }
    if (options.client) {
      for (const key of CLIENT_OPTIONS) {
        if (options[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} cannot be combined with a ready client: configure the S3Client itself instead`,
          });
        }
      }
    }
  });

export type S3Options = z.output<typeof s3OptionsSchema>;

const URL_PARAMS = new Set([
  'region',
  'endpoint',
  'forcePathStyle',
  'sessionToken',
  'publicBaseUrl',
  'partSize',
  'queueSize',
  'copyPartSize',
  'multipartCopyThreshold',
  'maxAttempts',
  'checksums',
  'connectTimeoutMs',
  'timeoutMs',
  'conditionalWrite',
  'versioning',
]);

/**
 * `s3://bucket/optional/prefix?region=eu-west-1&endpoint=http://127.0.0.1:7480&forcePathStyle=true` to raw options.
 * `s3://KEY:SECRET@bucket/…` gives credentials (percent-encoded); unknown query parameters are refused.
 */
export function s3OptionsFromUrl(url: URL): Record<string, unknown> {
  const fail = (why: string): never => {
    throw new UfsError('CONFIG_INVALID', `[ufs] [s3] invalid mount URL "${redact(url)}": ${why}`, {
      context: { backend: 's3', operation: 'configure' },
    });
  };
  if (url.protocol !== 's3:') fail('the scheme must be s3://');
  if (url.port) fail('a bucket name has no port; give the server as ?endpoint=http://host:port');
  const options: Record<string, unknown> = {};
  const bucket = decodeURIComponent(url.hostname);
  if (!bucket) fail('the bucket is missing (s3://bucket/prefix)');
  options.bucket = bucket;
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (prefix) options.prefix = prefix;
  if (url.username || url.password) {
    if (!url.username || !url.password) fail('credentials in the URL need both parts: s3://KEY:SECRET@bucket');
    options.accessKeyId = decodeURIComponent(url.username);
    options.secretAccessKey = decodeURIComponent(url.password);
  }
  for (const [name, value] of url.searchParams) {
    if (!URL_PARAMS.has(name)) {
      fail(`unknown parameter "${name}" (known: ${[...URL_PARAMS].join(', ')})`);
    }
    if (name in options) fail(`parameter "${name}" is given twice`);
    options[name] = value;
  }
  return options;
}

/** The URL as a message shows it: no user info, and the values of secret parameters (`secretAccessKey=`, …) `***`. */
function redact(url: URL): string {
  return redactUrl(url.href);
}
