import { defineBackend } from '../../backend-definition.js';
import { createS3Backend } from './backend.js';
import { s3Client } from './client.js';
import { s3OptionsFromUrl, s3OptionsSchema } from './options.js';

/**
 * Any S3-compatible object store through `@aws-sdk/client-s3` (AWS, radosgw, MinIO, R2, B2, …).
 * `s3://bucket/prefix?region=…&endpoint=…&forcePathStyle=true`, or options `{bucket, prefix, region, endpoint, …}`,
 * or a ready `client`.
 */
export default defineBackend({
  protocol: 's3',
  description: 'S3-compatible object storage (AWS S3, Ceph radosgw, MinIO, R2, …) via the AWS SDK',
  options: s3OptionsSchema,
  create: (options, context) => createS3Backend(options, s3Client(options, context.env), context.mountName),
  fromUrl: s3OptionsFromUrl,
});
