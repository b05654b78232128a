import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3FromEnv } from '@org/test-services';
import type { Harness } from './index.js';
import { s3Proxy } from './s3-proxy.js';

/** The radosgw started by @org/test-services' jest global setup (fails loudly when the run did not opt in). */
export function radosgw() {
  const endpoint = s3FromEnv();
  if (!endpoint) throw new Error('UFS_TEST_S3_* are not set: jest.config.js must ask @org/test-services for "s3"');
  return endpoint;
}

/** The environment the s3 provider reads, for `bucket` on the real radosgw (or another endpoint: a proxy of it). */
export function s3ProviderEnv(bucket: string, endpoint = radosgw().endpoint): Record<string, string> {
  const rgw = radosgw();
  return {
    AWS_S3_BUCKET: bucket,
    AWS_ENDPOINT_URL: endpoint,
    AWS_S3_PATH_STYLE: 'true',
    AWS_DEFAULT_REGION: rgw.region,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
  };
}

export function adminClient(): S3Client {
  const rgw = radosgw();
  return new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
}

/** Creates a fresh bucket; returns its name and a cleanup that empties and removes it. */
export async function freshBucket(client: S3Client): Promise<{ bucket: string; remove: () => Promise<void> }> {
  const bucket = `ufs-providers-${randomBytes(5).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    async remove() {
      for (;;) {
        const list = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
        const keys = (list.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) break;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    },
  };
}

/** The S3 provider wired to radosgw through the fault-injecting proxy, in a fresh bucket. */
export async function s3Harness(): Promise<Harness> {
  const rgw = radosgw();
  const admin = adminClient();
  const { bucket, remove } = await freshBucket(admin);
  const proxy = await s3Proxy(rgw.endpoint).start();
  return {
    id: 's3',
    fake: proxy,
    env: s3ProviderEnv(bucket, proxy.url),
    providerOptions: {},
    async stop() {
      await proxy.stop();
      await remove();
      admin.destroy();
    },
  };
}
