import type { KeyLocation } from '../../util/location.js';
import type { KeyMap } from './keys.js';
import type { S3Options } from './options.js';

/**
 * Where a key lives, whatever mount reaches it: `s3://host/bucket/objectKey` (the endpoint's host and port, or
 * `amazonaws.com` for AWS, where bucket names are global). Two mounts on one bucket, with or without a prefix, give
 * the same URL for the same object, so a copy or move between them onto itself is refused.
 */
export function s3Location(options: S3Options, keys: KeyMap, key: string): KeyLocation {
  const host = options.endpoint === undefined ? 'amazonaws.com' : new URL(options.endpoint).host.toLowerCase();
  const objectKey = keys.folder(key).replace(/\/$/, '');
  return { url: [`s3://${host}/${keys.bucket}`, objectKey].filter((part) => part !== '').join('/') };
}
