import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { ensureServices, stopServices, type S3Endpoint } from '@org/test-services';

export interface S3TestEndpoint extends S3Endpoint {
  /** True when this file started radosgw itself (no UFS_TEST_S3_* in the environment). */
  startedHere: boolean;
  /** Stops radosgw when this file started it; a no-op for one given by the environment. */
  stop(): Promise<void>;
}

/**
 * The radosgw described by UFS_TEST_S3_* (the jest global setup or `ufs-test-services` started it), else a fresh
 * one started for this test file (about 15 s).
 */
export async function s3Endpoint(): Promise<S3TestEndpoint> {
  const services = await ensureServices(['s3']);
  const service = services[0]!;
  return {
    ...(service.info as S3Endpoint),
    startedHere: !service.reused,
    stop: () => stopServices(services),
  };
}

/** A plain SDK client for setting up buckets and checking what the backend did. */
export function rawClient(s3: S3Endpoint): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(client: S3Client, bucket: string, versioned = false): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned) {
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
}

/** Removes every version, delete marker and unfinished upload of a bucket, then the bucket. */
export async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (objects.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Multipart uploads still open below a prefix (a clean abort leaves none). */
export async function openUploads(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (page.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

/**
 * The same client with a fault injected: `fail(command, count)` may throw to make that request fail (count is the
 * number of commands of that class sent so far, this one included). Wraps the real client; mocks nothing.
 */
export function faultyClient(client: S3Client, fail: (command: object, count: number) => void): S3Client {
  const counts = new Map<string, number>();
  const send = ((command: object, options?: object) => {
    const name = command.constructor.name;
    const count = (counts.get(name) ?? 0) + 1;
    counts.set(name, count);
    try {
      fail(command, count);
    } catch (err) {
      return Promise.reject(err);
    }
    return (client.send as (c: object, o?: object) => Promise<unknown>)(command, options);
  }) as S3Client['send'];
  return new Proxy(client, { get: (target, p) => (p === 'send' ? send : Reflect.get(target, p, target)) });
}

export interface S3Fixture {
  s3: S3TestEndpoint;
  raw: S3Client;
  /** A fresh plain bucket and a fresh versioned one (`<bucket>-v`). */
  bucket: string;
  versionedBucket: string;
  /** Connection options for the s3 backend. */
  connection: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** Backends to dispose after the file's tests. */
  opened: StorageBackend[];
}

/**
 * The set-up shared by the s3 test files: the endpoint, a raw client, two fresh buckets named after `label`, and an
 * afterAll that disposes the backends, removes the buckets and stops radosgw when this file started it.
 */
export async function s3Fixture(label: string): Promise<S3Fixture> {
  const s3 = await s3Endpoint();
  const raw = rawClient(s3);
  const bucket = `ufs-${label}-${randomBytes(3).toString('hex')}`;
  const versionedBucket = `${bucket}-v`;
  await createBucket(raw, bucket);
  await createBucket(raw, versionedBucket, true);
  const opened: StorageBackend[] = [];
  afterAll(async () => {
    try {
      for (const backend of opened) await backend.dispose?.();
      await removeBucket(raw, bucket);
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
  return { s3, raw, bucket, versionedBucket, connection, opened };
}
