import { Bucket, Storage } from '@google-cloud/storage';
import { normalizeKey } from '@org/core';
import { z } from 'zod';
import { timeoutMsSchema } from '../../util/socket-timeouts.js';

const MiB = 1024 * 1024;

/** Cloud Storage bucket names: 3–63 characters (up to 222 with dots), lowercase letters, digits, `-`, `_`, `.`. */
const BUCKET_NAME = /^(?=.{3,222}$)[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;

const isStorage = (value: unknown): value is Storage =>
  value instanceof Storage ||
  (typeof value === 'object' && value !== null && typeof (value as Storage).bucket === 'function');
const isBucket = (value: unknown): value is Bucket =>
  value instanceof Bucket ||
  (typeof value === 'object' &&
    value !== null &&
    typeof (value as Bucket).file === 'function' &&
    typeof (value as Bucket).getFiles === 'function' &&
    typeof (value as Bucket).name === 'string');

/**
 * Mount options of the `gcs` protocol. Credentials: `credentials` (a service-account JSON object),
 * `keyFilename`, a ready `storage`/`bucketClient`, or Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server) read by the SDK itself.
 */
export const gcsOptionsSchema = z
  .strictObject({
    bucket: z
      .string()
      .regex(
        BUCKET_NAME,
        'bucket must be 3-63 lowercase letters, digits, "-", "_" or "." (up to 222 with dots), starting and ending with a letter or digit',
      )
      .optional(),
    /** Folder inside the bucket that is this mount's root. */
    prefix: z
      .string()
      .transform((value, ctx) => {
        try {
          return normalizeKey(value);
        } catch (err) {
          ctx.issues.push({
            code: 'custom',
            input: value,
            message: `prefix is not a valid path: ${(err as Error).message}`,
          });
          return z.NEVER;
        }
      })
      .optional(),
    projectId: z.string().min(1).optional(),
    /** Service-account key (the JSON file's content); `client_email` + `private_key` also sign URLs locally. */
    credentials: z
      .looseObject({
        client_email: z.string().min(1, 'credentials.client_email must not be empty'),
        private_key: z
          .string()
          .includes('PRIVATE KEY', { message: 'credentials.private_key must be a PEM private key' }),
      })
      .optional(),
    keyFilename: z.string().min(1).optional(),
    /** Another endpoint (an emulator or a local fake): requests then carry no OAuth token, as the SDK does. */
    apiEndpoint: z.url({ protocol: /^https?$/, error: 'apiEndpoint must be an http(s) URL' }).optional(),
    /** A ready client: a `Storage` (then `bucket` is required) or a `Bucket`. */
    storage: z.custom<Storage>(isStorage, 'storage must be a Storage from @google-cloud/storage').optional(),
    bucketClient: z.custom<Bucket>(isBucket, 'bucketClient must be a Bucket from @google-cloud/storage').optional(),
    /**
     * How long to wait, 60 s each by default (DEFAULT_TIMEOUT_MS), 0 for no limit; only for a client this backend
     * builds. The SDK's HTTP client connects by itself, so the wait for each response (connecting included) is
     * bounded by `connectTimeoutMs + timeoutMs`; a read's body then fails after `timeoutMs` with nothing received.
     */
    connectTimeoutMs: timeoutMsSchema('connectTimeoutMs').optional(),
    timeoutMs: timeoutMsSchema('timeoutMs').optional(),
    /** The bucket has Object Versioning on: declare versions (generations) and keep old ones readable. */
    versioning: z.boolean().default(false),
    /** Writes of a known size up to this many bytes go in one request; larger or unknown sizes use resumable uploads. */
    resumableThreshold: z
      .number()
      .int()
      .min(0)
      .default(8 * MiB),
    /** Resumable uploads in chunks of this size (a multiple of 256 KiB; each chunk is buffered for retries). */
    chunkSize: z
      .number()
      .int()
      .min(256 * 1024)
      .refine((n) => n % (256 * 1024) === 0, 'chunkSize must be a multiple of 256 KiB')
      .optional(),
  })
  .superRefine((options, ctx) => {
    if (options.bucketClient) {
      if (options.bucket !== undefined && options.bucket !== options.bucketClient.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['bucket'],
          message: `bucket "${options.bucket}" differs from bucketClient's bucket "${options.bucketClient.name}"`,
        });
      }
    } else if (options.bucket === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'bucket is required: the name of the GCS bucket' });
    }
    const clients = (['storage', 'bucketClient'] as const).filter((k) => options[k] !== undefined);
    const settings = (
      ['credentials', 'keyFilename', 'apiEndpoint', 'projectId', 'connectTimeoutMs', 'timeoutMs'] as const
    ).filter((k) => options[k] !== undefined);
    if (clients.length > 1 || (clients.length === 1 && settings.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: [clients[1] ?? settings[0]!],
        message: `a ready ${clients[0]} already has its settings: do not combine it with ${[...clients.slice(1), ...settings].join(', ')}`,
      });
    }
    if (options.credentials && options.keyFilename) {
      ctx.addIssue({ code: 'custom', path: ['keyFilename'], message: 'give credentials or keyFilename, not both' });
    }
  });

export type GcsOptions = z.output<typeof gcsOptionsSchema>;
