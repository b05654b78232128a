import type { S3Client } from '@aws-sdk/client-s3';
import type { UfsError } from '@org/core';
import { s3Error } from './errors.js';
import type { KeyMap } from './keys.js';
import type { S3Options } from './options.js';

/** What every operation file of the s3 backend shares. */
export interface S3Context {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keys: KeyMap;
  readonly options: S3Options;
  /** Maps an SDK (or any) error to a UfsError with `{backend: 's3', operation, path}` context. */
  fail(err: unknown, operation: string, path?: string): UfsError;
}

export function s3Context(client: S3Client, keys: KeyMap, options: S3Options): S3Context {
  return {
    client,
    bucket: keys.bucket,
    keys,
    options,
    fail: (err, operation, path) => s3Error(err, { operation, path, bucket: keys.bucket }),
  };
}
