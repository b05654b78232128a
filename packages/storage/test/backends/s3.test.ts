// The backend contract suite against a real Ceph radosgw (@org/test-services), twice: a plain bucket mounted
// whole, and a versioned bucket mounted below a prefix (so the versioning and public URL cases run too).
import { randomBytes } from 'node:crypto';
import { afterAll } from '@jest/globals';
import { describeBackendContract } from '@org/storage-testing';
import definition from '../../src/backends/s3/index.js';
import { createBucket, rawClient, removeBucket, s3Endpoint } from '../services/s3.js';

const MiB = 1024 * 1024;
const s3 = await s3Endpoint();
const raw = rawClient(s3);
const run = randomBytes(3).toString('hex');
const plainBucket = `ufs-contract-${run}`;
const versionedBucket = `ufs-contract-v-${run}`;
await createBucket(raw, plainBucket);
await createBucket(raw, versionedBucket, true);
afterAll(async () => {
  try {
    await removeBucket(raw, plainBucket);
    await removeBucket(raw, versionedBucket);
  } finally {
    raw.destroy();
    await s3.stop();
  }
}, 60_000);

const connection = {
  endpoint: s3.endpoint,
  region: s3.region,
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
};
const create = (options: Record<string, unknown>) =>
  definition.create(definition.options.parse({ ...connection, ...options }), { mountName: 'contract', env: {} });

describeBackendContract(
  's3 (radosgw, plain bucket)',
  // 5 MiB parts: the 24 MiB round trip is a 5-part multipart upload.
  { backend: await create({ bucket: plainBucket, partSize: 5 * MiB }) },
  { largeBytes: 24 * MiB },
);

describeBackendContract(
  's3 (radosgw, versioned bucket below a prefix)',
  {
    backend: await create({
      bucket: versionedBucket,
      prefix: 'mounted/here',
      publicBaseUrl: 'https://cdn.example.com/assets/',
      // radosgw 16 ignores If-None-Match on versioned buckets: declare it, and ifNotExists checks first instead.
      conditionalWrite: false,
    }),
  },
  { largeBytes: 12 * MiB },
);
