import { startRadosgw, type RadosgwOptions, type S3Endpoint } from '../radosgw.js';
import type { ServiceDefinition } from './types.js';

export const S3_ENV = {
  endpoint: 'UFS_TEST_S3_ENDPOINT',
  region: 'UFS_TEST_S3_REGION',
  accessKeyId: 'UFS_TEST_S3_ACCESS_KEY_ID',
  secretAccessKey: 'UFS_TEST_S3_SECRET_ACCESS_KEY',
} as const;

/**
 * The S3 endpoint given by the environment (UFS_TEST_S3_*), or undefined when UFS_TEST_S3_ENDPOINT or a key is
 * not set. Region defaults to us-east-1. Path-style addressing is always used.
 */
export function s3FromEnv(env: NodeJS.ProcessEnv = process.env): S3Endpoint | undefined {
  const endpoint = env[S3_ENV.endpoint];
  const accessKeyId = env[S3_ENV.accessKeyId];
  const secretAccessKey = env[S3_ENV.secretAccessKey];
  if (!endpoint || !accessKeyId || !secretAccessKey) return undefined;
  return { endpoint, region: env[S3_ENV.region] || 'us-east-1', accessKeyId, secretAccessKey, forcePathStyle: true };
}

export function s3Env(info: S3Endpoint): Record<string, string> {
  return {
    [S3_ENV.endpoint]: info.endpoint,
    [S3_ENV.region]: info.region,
    [S3_ENV.accessKeyId]: info.accessKeyId,
    [S3_ENV.secretAccessKey]: info.secretAccessKey,
  };
}

/** Options for the S3 service; change them with {@link configureS3}. */
const s3Options: RadosgwOptions = {};

/** Sets radosgw options used by later starts of the `s3` service (e.g. a bigger memstore). */
export function configureS3(options: RadosgwOptions): void {
  Object.assign(s3Options, options);
}

export const s3Service: ServiceDefinition<S3Endpoint> = {
  name: 's3',
  description: 'S3 (Ceph radosgw)',
  envNames: Object.values(S3_ENV),
  async start({ log }) {
    const rgw = await startRadosgw({ log, ...s3Options });
    const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = rgw;
    return {
      info: { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle },
      startupMs: rgw.startupMs,
      stop: rgw.stop,
    };
  },
  toEnv: s3Env,
  fromEnv: s3FromEnv,
  describe: (info) => info.endpoint,
};
