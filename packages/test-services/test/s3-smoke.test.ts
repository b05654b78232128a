// What later code relies on, checked against the real radosgw started by the jest global setup. No mocks.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client, testS3 } from './s3-client.js';

const client = s3Client();
const Bucket = `smoke-${randomUUID().slice(0, 8)}`;
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

async function getBytes(Key: string, Range?: string): Promise<{ bytes: Buffer; status?: number; range?: string }> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key, Range }));
  return {
    bytes: Buffer.from(await res.Body!.transformToByteArray()),
    status: res.$metadata.httpStatusCode,
    range: res.ContentRange,
  };
}

/** The HTTP status of a rejected S3 call. */
async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket }));
});

afterAll(() => client.destroy());

test('the bucket exists and is listed', async () => {
  const head = await client.send(new HeadBucketCommand({ Bucket }));
  expect(head.$metadata.httpStatusCode).toBe(200);
  const { Buckets } = await client.send(new ListBucketsCommand({}));
  expect(Buckets?.map((b) => b.Name)).toContain(Bucket);
});

test('put/get/head keep bytes, content type and user metadata', async () => {
  const body = Buffer.from('hello radosgw \u2713');
  const put = await client.send(
    new PutObjectCommand({
      Bucket,
      Key: 'meta/hello.txt',
      Body: body,
      ContentType: 'text/plain; charset=utf-8',
      Metadata: { origin: 'smoke-test', 'sha-256': sha256(body) },
    }),
  );
  expect(put.ETag).toBe(`"${md5(body)}"`);

  const get = await client.send(new GetObjectCommand({ Bucket, Key: 'meta/hello.txt' }));
  expect(Buffer.from(await get.Body!.transformToByteArray())).toEqual(body);
  expect(get.ContentType).toBe('text/plain; charset=utf-8');
  expect(get.Metadata).toEqual({ origin: 'smoke-test', 'sha-256': sha256(body) });

  const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'meta/hello.txt' }));
  expect(head.ContentLength).toBe(body.length);
  expect(head.ContentType).toBe('text/plain; charset=utf-8');
  expect(head.ETag).toBe(`"${md5(body)}"`);
  expect(head.Metadata?.origin).toBe('smoke-test');
  expect(head.LastModified).toBeInstanceOf(Date);

  expect(await statusOf(client.send(new HeadObjectCommand({ Bucket, Key: 'meta/missing' })))).toBe(404);
  expect(await statusOf(client.send(new GetObjectCommand({ Bucket, Key: 'meta/missing' })))).toBe(404);
});

test('range GET: start-end and suffix', async () => {
  const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  await client.send(new PutObjectCommand({ Bucket, Key: 'range.bin', Body: body }));

  const middle = await getBytes('range.bin', 'bytes=10-19');
  expect(middle.status).toBe(206);
  expect(middle.range).toBe('bytes 10-19/100');
  expect(middle.bytes).toEqual(body.subarray(10, 20));

  const suffix = await getBytes('range.bin', 'bytes=-5');
  expect(suffix.status).toBe(206);
  expect(suffix.range).toBe('bytes 95-99/100');
  expect(suffix.bytes).toEqual(body.subarray(95));

  const open = await getBytes('range.bin', 'bytes=98-');
  expect(open.bytes).toEqual(body.subarray(98));
});

test('ListObjectsV2: prefix + delimiter, and pagination with MaxKeys + ContinuationToken', async () => {
  // 25 keys: 10 under dir-a/, 10 under dir-b/, 5 directly under the prefix.
  const keys = [
    ...Array.from({ length: 10 }, (_, i) => `list/dir-a/${String(i).padStart(2, '0')}`),
    ...Array.from({ length: 10 }, (_, i) => `list/dir-b/${String(i).padStart(2, '0')}`),
    ...Array.from({ length: 5 }, (_, i) => `list/top-${i}`),
  ];
  await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));

  const folders = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', Delimiter: '/' }));
  expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/dir-a/', 'list/dir-b/']);
  expect(folders.Contents?.map((o) => o.Key)).toEqual(keys.slice(20));
  expect(folders.Contents?.[0]?.Size).toBe('list/top-0'.length);

  const pages: ListObjectsV2CommandOutput[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 10, ContinuationToken }),
    );
    pages.push(page);
    ContinuationToken = page.NextContinuationToken;
    expect(page.IsTruncated).toBe(ContinuationToken !== undefined);
  } while (ContinuationToken);
  expect(pages.map((p) => p.KeyCount)).toEqual([10, 10, 5]);
  expect(pages.flatMap((p) => p.Contents ?? []).map((o) => o.Key)).toEqual([...keys].sort());
});

test('CopyObject copies bytes and metadata; REPLACE sets new metadata', async () => {
  await client.send(
    new PutObjectCommand({ Bucket, Key: 'copy/src', Body: 'copy me', ContentType: 'text/x-src', Metadata: { a: '1' } }),
  );
  await client.send(new CopyObjectCommand({ Bucket, Key: 'copy/dst', CopySource: `${Bucket}/copy/src` }));
  const copied = await client.send(new HeadObjectCommand({ Bucket, Key: 'copy/dst' }));
  expect(copied.Metadata).toEqual({ a: '1' });
  expect(copied.ContentType).toBe('text/x-src');
  expect((await getBytes('copy/dst')).bytes.toString()).toBe('copy me');

  await client.send(
    new CopyObjectCommand({
      Bucket,
      Key: 'copy/replaced',
      CopySource: `${Bucket}/copy/src`,
      MetadataDirective: 'REPLACE',
      ContentType: 'text/x-new',
      Metadata: { b: '2' },
    }),
  );
  const replaced = await client.send(new HeadObjectCommand({ Bucket, Key: 'copy/replaced' }));
  expect(replaced.Metadata).toEqual({ b: '2' });
  expect(replaced.ContentType).toBe('text/x-new');
});

test('DeleteObject and DeleteObjects remove keys', async () => {
  const keys = ['del/1', 'del/2', 'del/3', 'del/4'];
  await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));

  await client.send(new DeleteObjectCommand({ Bucket, Key: 'del/1' }));
  expect(await statusOf(client.send(new HeadObjectCommand({ Bucket, Key: 'del/1' })))).toBe(404);

  const res = await client.send(
    new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.slice(1).map((Key) => ({ Key })) } }),
  );
  expect(res.Errors ?? []).toEqual([]);
  expect(res.Deleted?.map((d) => d.Key).sort()).toEqual(keys.slice(1));
  const left = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'del/' }));
  expect(left.KeyCount).toBe(0);
});

test('conditional PUT If-None-Match: * creates once, then answers 412', async () => {
  const Key = 'cond/once';
  await client.send(new PutObjectCommand({ Bucket, Key, Body: 'first', IfNoneMatch: '*' }));
  expect(await statusOf(client.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' })))).toBe(
    412,
  );
  expect((await getBytes(Key)).bytes.toString()).toBe('first');
});

test('multipart upload with lib-storage Upload (12 MiB, 5 MiB parts) round-trips', async () => {
  const body = randomBytes(12 * 1024 * 1024);
  const upload = new Upload({
    client,
    params: { Bucket, Key: 'multipart/12mib.bin', Body: body, ContentType: 'application/octet-stream' },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  const parts: number[] = [];
  upload.on('httpUploadProgress', (p) => p.part !== undefined && parts.push(p.part));
  await upload.done();
  expect(new Set(parts)).toEqual(new Set([1, 2, 3]));

  const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'multipart/12mib.bin' }));
  expect(head.ContentLength).toBe(body.length);
  expect(head.ETag).toMatch(/-3"$/); // a multipart ETag names its part count
  const { bytes } = await getBytes('multipart/12mib.bin');
  expect(sha256(bytes)).toBe(sha256(body));
});

test('presigned GET works over plain fetch; tampered and expired signatures get 403', async () => {
  const body = randomBytes(4096);
  await client.send(new PutObjectCommand({ Bucket, Key: 'presigned/blob', Body: body }));
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: 'presigned/blob' }), { expiresIn: 60 });
  expect(url.startsWith(`${testS3().endpoint}/${Bucket}/presigned/blob?`)).toBe(true);

  const ok = await fetch(url);
  expect(ok.status).toBe(200);
  expect(Buffer.from(await ok.arrayBuffer())).toEqual(body);

  const signed = new URL(url);
  const signature = signed.searchParams.get('X-Amz-Signature')!;
  signed.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
  const tampered = await fetch(signed);
  await tampered.arrayBuffer();
  expect(tampered.status).toBe(403);

  const shortLived = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: 'presigned/blob' }), {
    expiresIn: 1,
  });
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const expired = await fetch(shortLived);
  await expired.arrayBuffer();
  expect(expired.status).toBe(403);
});
