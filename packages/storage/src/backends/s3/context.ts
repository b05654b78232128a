import type { S3Client } from '@aws-sdk/client-s3';
import type { ErrorCode, UfsError } from '@org/core';
import { keyError } from '../../errors.js';
import { s3Error, type S3ErrorContext } from './errors.js';
import type { S3Connection } from './client.js';
import type { KeyMap } from './keys.js';
import type { S3Options } from './options.js';

/** What every operation file of the s3 backend shares. */
export interface S3Context {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keys: KeyMap;
  readonly options: S3Options;
  /** The mount's name: errors name keys as `mount:key`. */
  readonly mount: string;
  /** Maps an SDK (or any) error to a UfsError with `{backend: 's3', mount, operation, path: 'mount:key'}` context. */
  fail(err: unknown, operation: string, path?: string): UfsError;
  /** `[ufs] [s3] <operation> "mount:key": detail`. */
  error(code: ErrorCode, operation: string, key: string, detail: string, cause?: unknown): UfsError;
  /** What `abortedError` and `s3Error` take for an operation on `key`. */
  where(operation: string, key: string): Required<S3ErrorContext>;
}

/** `connection`: the endpoint and timeouts of a client this backend built, named by timeout errors. */
export function s3Context(client: S3Client, keys: KeyMap, options: S3Options, connection?: S3Connection): S3Context {
  const { bucket, mount } = keys;
  return {
    client,
    bucket,
    keys,
    options,
    mount,
    fail: (err, operation, path) => s3Error(err, { operation, path, bucket, mount }, connection),
    error: (code, operation, key, detail, cause) =>
      keyError(code, { mount, protocol: 's3' }, operation, key, detail, { context: { bucket }, cause }),
    where: (operation, path) => ({ operation, path, bucket, mount }),
  };
}
