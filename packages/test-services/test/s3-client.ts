import { S3Client } from '@aws-sdk/client-s3';
import { s3FromEnv, type S3Endpoint } from '../src/index.js';

/** The S3 endpoint from the jest global setup (this package's jest.config.js asks for the `s3` service). */
export function testS3(): S3Endpoint {
  const s3 = s3FromEnv();
  if (!s3) throw new Error('UFS_TEST_S3_* not set: the jest global setup should have started radosgw');
  return s3;
}

export function s3Client(s3: S3Endpoint = testS3()): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: s3.forcePathStyle,
  });
}
