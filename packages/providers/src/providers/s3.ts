import { UfsError, joinKey, normalizeKey } from '@org/core';
import { defineProvider, type SendContext } from '../kit/define.js';
import { parseDuration } from '../kit/expiry.js';
import { uniqueName } from '../kit/names.js';
import { envValue, optionOrEnv, parseBoolean, resolveBaseUrl, type Env } from '../env.js';
import { SDK_LOADERS } from '../registry.js';
import type { ProviderCallOptions } from '../types.js';

/** The longest life of a SigV4 presigned URL. */
export const MAX_PRESIGN_MS = 7 * 86_400_000;
const DEFAULT_PRESIGN_MS = 86_400_000;
/** S3's multipart limits: parts of 5 MiB to 5 GiB, at most 10,000 of them. */
const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

/** Everything the S3 half needs, resolved from options and env. */
export interface S3Settings {
  bucket: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  prefix: string;
  unique: boolean;
  urlMode: 'presigned' | 'public';
  publicBaseUrl: string | undefined;
  acl: string | undefined;
  partSize: number;
  queueSize: number;
  /** Create only (`If-None-Match: *`): ALREADY_EXISTS instead of replacing an object already under the key. */
  ifNotExists: boolean;
}

function bucketOf(options: ProviderCallOptions, env: Env): string | undefined {
  return optionOrEnv(options.bucket, env, 'AWS_S3_BUCKET');
}

/** Reads the S3 settings: options win over env variables. */
export function s3Settings(options: ProviderCallOptions, env: Env): S3Settings {
  const bucket = bucketOf(options, env);
  if (!bucket) throw new UfsError('CONFIG_INVALID', '[ufs] [s3] no bucket: set AWS_S3_BUCKET or the bucket option');
  const accessKeyId = optionOrEnv(options.accessKeyId, env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = optionOrEnv(options.secretAccessKey, env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = optionOrEnv(options.sessionToken, env, 'AWS_SESSION_TOKEN');
  const urlMode = optionOrEnv(options.url, env, 'UFS_S3_URL_MODE') ?? 'presigned';
  if (urlMode !== 'presigned' && urlMode !== 'public') {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] [s3] url mode ${JSON.stringify(urlMode)} must be "presigned" or "public" (option url or UFS_S3_URL_MODE)`,
    );
  }
  const rawPrefix = optionOrEnv(options.prefix, env, 'UFS_S3_PREFIX') ?? '';
  return {
    bucket,
    region: optionOrEnv(options.region, env, 'AWS_DEFAULT_REGION') ?? envValue(env, 'AWS_REGION') ?? 'us-east-1',
    endpoint: endpointOf(options, env),
    forcePathStyle:
      parseBoolean(
        (options.pathStyle as boolean | string | undefined) ?? envValue(env, 'AWS_S3_PATH_STYLE'),
        'AWS_S3_PATH_STYLE',
      ) ?? false,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    prefix: rawPrefix ? normalizeKey(rawPrefix) : '',
    unique: parseBoolean(options.unique as boolean | string | undefined, 'option unique') ?? false,
    urlMode,
    publicBaseUrl: optionOrEnv(options.publicUrl, env, 'UFS_S3_PUBLIC_URL')?.replace(/\/+$/, ''),
    acl: typeof options.acl === 'string' ? options.acl : undefined,
    partSize: integerOption(options.partSize, 'partSize', MIN_PART_SIZE, MAX_PART_SIZE) ?? 8 * MiB,
    queueSize: integerOption(options.queueSize, 'queueSize', 1, 64) ?? 4,
    ifNotExists: parseBoolean(options.ifNotExists as boolean | string | undefined, 'option ifNotExists') ?? false,
  };
}

/**
 * The custom endpoint (option `baseUrl`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`), checked as every base
 * URL is: CONFIG_INVALID when it is not an http(s) URL, before the SDK would fail on it mid-upload. Undefined: AWS.
 */
function endpointOf(options: ProviderCallOptions, env: Env): string | undefined {
  const option = typeof options.baseUrl === 'string' ? options.baseUrl.trim() : '';
  const envName = endpointVariable(env);
  if (!option && !envValue(env, envName)) return undefined;
  return resolveBaseUrl('s3', option, env, envName, '');
}

/** The variable the endpoint comes from when no option gives it: `AWS_ENDPOINT_URL_S3` wins when set. */
function endpointVariable(env: Env): string {
  return envValue(env, 'AWS_ENDPOINT_URL_S3') ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL';
}

/** A whole-number option within bounds (a number, or its decimal text from a config file). */
function integerOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] [s3] option ${name} ${JSON.stringify(value)} must be a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * The part size for a file of `size` bytes: the configured one, raised so the file fits in S3's 10,000 parts (8 MiB
 * parts alone would stop at ~78 GiB, far below the 5 TiB an object may hold).
 */
export function partSizeFor(settings: Pick<S3Settings, 'partSize'>, size: number): number {
  return Math.min(MAX_PART_SIZE, Math.max(settings.partSize, Math.ceil(size / MAX_PARTS)));
}

/** The object key for a file: prefix + name (+ random suffix when `unique`). */
export function s3Key(settings: S3Settings, filename: string): string {
  const name = normalizeKey(settings.unique ? uniqueName(filename) : filename);
  return settings.prefix ? joinKey(settings.prefix, name) : name;
}

/** How long the presigned URL lives: `expire` (≤ 7 days) or 24 h. Public URLs cannot expire. */
export function presignLifetime(settings: S3Settings, expire: string | undefined): number | undefined {
  if (expire === undefined) return settings.urlMode === 'presigned' ? DEFAULT_PRESIGN_MS : undefined;
  if (settings.urlMode === 'public') {
    throw new UfsError(
      'INVALID_INPUT',
      '[ufs] [s3] expire applies to presigned URLs only; this upload is set to public URLs',
      {
        retryable: false,
      },
    );
  }
  const ms = parseDuration(expire, 's3');
  if (ms > MAX_PRESIGN_MS) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] [s3] expire ${JSON.stringify(expire)} is longer than the 7 days a presigned URL can live`,
      {
        retryable: false,
      },
    );
  }
  return ms;
}

/** A `deleteToken` for S3: `s3://bucket/key`. */
export function s3Token(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

async function send(ctx: SendContext) {
  const settings = s3Settings(ctx.options, ctx.env);
  const lifetimeMs = presignLifetime(settings, ctx.options.expire);
  const key = s3Key(settings, ctx.source.filename);
  const sdk = await SDK_LOADERS.s3();
  return sdk.s3Upload(settings, key, lifetimeMs, ctx);
}

/**
 * Any S3-compatible bucket, through `@aws-sdk/client-s3` + `@aws-sdk/lib-storage` (multipart above `partSize`).
 * The result is a presigned GET URL (default, lifetime = `expire` up to 7 days, else 24 h) or a public object URL
 * (`url: 'public'`, optionally under `publicUrl` such as a CDN). Delete removes the object.
 */
export default defineProvider({
  info: {
    id: 's3',
    name: 'S3-compatible bucket',
    homepage: 'https://docs.aws.amazon.com/AmazonS3/latest/API/',
    maxSize: 5 * 1024 ** 4,
    retention: 'as long as the bucket keeps it; presigned links expire (default 24 h, at most 7 days)',
    expiryChoices: ['1h', '12h', '24h', '72h', '7d'],
    auth: 'required',
    env: [
      'AWS_S3_BUCKET',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL',
      'AWS_S3_PATH_STYLE',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'UFS_S3_PREFIX',
      'UFS_S3_URL_MODE',
      'UFS_S3_PUBLIC_URL',
    ],
    capabilities: { expiry: true, singleDownload: false, delete: true, streaming: true },
  },
  status(env, options) {
    if (!bucketOf(options, env)) {
      return {
        ready: false,
        reason: 'AWS_S3_BUCKET is not set',
        help: 'export AWS_S3_BUCKET=<bucket> and credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile); AWS_ENDPOINT_URL for non-AWS services',
      };
    }
    try {
      s3Settings(options, env);
    } catch (err) {
      const reason = (err as Error).message.replace(/^\[ufs\] \[s3\] /, '');
      return /^base URL /.test(reason)
        ? {
            ready: false,
            reason,
            help: `set ${endpointVariable(env)} (or the option baseUrl) to the http(s) URL of an S3-compatible service, or unset it for AWS`,
          }
        : { ready: false, reason };
    }
    return { ready: true };
  },
  nameKey: (filename, env, options) => {
    const settings = s3Settings(options, env);
    return settings.unique ? undefined : `${settings.bucket}/${s3Key(settings, filename)}`;
  },
  send,
  async delete(result, ctx) {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(result.deleteToken ?? '');
    if (!match) {
      throw new UfsError('INVALID_INPUT', `[ufs] [s3] delete "${result.url}": deleteToken must be s3://bucket/key`, {
        context: ctx.context,
      });
    }
    const settings = s3Settings({ ...ctx.options, bucket: match[1] }, ctx.env);
    const sdk = await SDK_LOADERS.s3();
    await sdk.s3Delete(settings, match[2]!, ctx, ctx.written);
  },
});
