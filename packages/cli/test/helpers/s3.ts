import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';

/** The radosgw of @org/test-services (from UFS_TEST_S3_*), a fresh bucket, and the mount config for it. */
export async function s3Bucket(): Promise<{
  client: S3Client;
  bucket: string;
  mount: Record<string, unknown>;
  put(key: string, body: Buffer | string): Promise<void>;
}> {
  const endpoint = process.env.UFS_TEST_S3_ENDPOINT;
  const accessKeyId = process.env.UFS_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.UFS_TEST_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error(
      'UFS_TEST_S3_* are not set: the jest global setup of @org/test-services should have started radosgw',
    );
  }
  const region = process.env.UFS_TEST_S3_REGION || 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const bucket = `ufs-cli-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    client,
    bucket,
    mount: { protocol: 's3', bucket, endpoint, region, forcePathStyle: true, accessKeyId, secretAccessKey },
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}
