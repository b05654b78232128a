import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3FromEnv } from '@org/test-services';
import { openContentMount, type ContentMount } from '../../src/index.js';

/** A content mount on a fresh bucket of the radosgw started by the jest global setup. */
export async function s3ContentMount(): Promise<ContentMount & { bucket: string }> {
  const s3 = s3FromEnv();
  if (!s3) throw new Error('S3 test service is not configured: the jest global setup should have started radosgw');
  const bucket = `ufs-server-${randomBytes(4).toString('hex')}`;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const mount = await openContentMount({
    protocol: 's3',
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  return { ...mount, bucket };
}
