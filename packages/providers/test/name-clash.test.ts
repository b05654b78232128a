import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isUfsError } from '@org/core';
import { fileSource, loadProvider, uploadFiles, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, s3ProviderEnv } from './fakes/s3-harness.js';
import { staticServer } from './fakes/mount-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// Files of one batch with the same name, on providers whose key comes from the name (s3 on the real radosgw, a real
// local mount served by a static web server): never a URL that serves another file's bytes, and a clean-up never
// deletes an object another upload wrote.
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;
let dir: string;
let root: string;
let cleanup: () => Promise<void>;
let web: Awaited<ReturnType<typeof staticServer>>;

function s3Env(): Record<string, string> {
  return s3ProviderEnv(bucket);
}
const s3Opts = (s3: Record<string, unknown> = {}): UploadFileOptions => ({
  providers: ['s3'],
  env: s3Env(),
  retry: FAST_RETRY,
  providerOptions: { s3 },
});
const mountOpts = (mount: Record<string, unknown> = {}): UploadFileOptions => ({
  providers: ['mount'],
  env: {},
  retry: FAST_RETRY,
  providerOptions: {
    mount: {
      mounts: [{ name: 'site', protocol: 'local', root, baseUrl: `${web.url}/`, fsync: false }],
      target: 'site:drop',
      ...mount,
    },
  },
});

/** Two files named `same.txt` in two folders, with different bytes. */
async function twins(name: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const files = [];
  for (const folder of ['d1', 'd2']) {
    await mkdir(join(dir, name, folder), { recursive: true });
    files.push(await randomFile(join(dir, name, folder), 'same.txt'));
  }
  return files;
}

async function objectBytes(key: string): Promise<Buffer | undefined> {
  try {
    const answer = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
  ({ dir, cleanup } = await tempDir('ufs-clash-'));
  root = join(dir, 'root');
  await mkdir(root);
  web = await staticServer(root);
});
afterAll(async () => {
  await web.stop();
  await removeBucket();
  admin.destroy();
  await cleanup();
});

describe('one batch, two files with one name', () => {
  it('s3: the later file is refused by s3 (INVALID_INPUT) before its upload there; the first URL serves the first file', async () => {
    const [a, b] = await twins('s3');
    const items = await uploadFiles([a!.path, b!.path], s3Opts({ prefix: 'batch' }));
    expect(items[0]!.ok).toBe(true);
    const second = items[1]!;
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(isUfsError(second.error, 'INVALID_INPUT')).toBe(true);
    expect(second.error.message).toContain(a!.path);
    expect(second.error.message).toMatch(/option unique/);
    if (!items[0]!.ok) return;
    expect((await download(items[0]!.result.url)).bytes.equals(a!.bytes)).toBe(true);
    expect((await objectBytes('batch/same.txt'))!.equals(a!.bytes)).toBe(true);
  });

  it('s3 with unique: both go up under their own keys, each URL serving its own bytes', async () => {
    const [a, b] = await twins('s3-unique');
    const items = await uploadFiles([a!.path, b!.path], s3Opts({ unique: true }));
    const urls = [];
    for (const [index, item] of items.entries()) {
      expect(item.ok).toBe(true);
      if (!item.ok) return;
      urls.push(item.result.url);
      expect((await download(item.result.url)).bytes.equals([a, b][index]!.bytes)).toBe(true);
    }
    expect(urls[0]).not.toBe(urls[1]);
  });

  it('mount (local): the later file is refused; the file on disk and the URL are the first one', async () => {
    const [a, b] = await twins('mount');
    const items = await uploadFiles([a!.path, b!.path], mountOpts());
    expect(items.map((item) => item.ok)).toEqual([true, false]);
    if (!items[0]!.ok || items[1]!.ok) return;
    expect(isUfsError(items[1]!.error, 'INVALID_INPUT')).toBe(true);
    expect((await download(items[0]!.result.url)).bytes.equals(a!.bytes)).toBe(true);
    expect((await readFile(join(root, 'drop/same.txt'))).equals(a!.bytes)).toBe(true);
    // With unique names both are kept.
    const unique = await uploadFiles([a!.path, b!.path], mountOpts({ unique: 'prefix' }));
    expect(unique.map((item) => item.ok)).toEqual([true, true]);
  });

  it('the per-file hooks see every file by index, the refused one too', async () => {
    const [a, b] = await twins('hooks');
    const settled: Array<[number, boolean]> = [];
    const attempts: number[] = [];
    const items = await uploadFiles([a!.path, b!.path], {
      ...mountOpts(),
      onSettled: (index, item) => settled.push([index, item.ok]),
      onFileEvent: (index, event) => {
        if (event.type === 'attempt') attempts.push(index);
      },
    });
    expect(items.map((item) => item.ok)).toEqual([true, false]);
    expect(settled.sort()).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(attempts).toEqual([0]); // the refused file was never attempted
  });
});

describe('ifNotExists: create only', () => {
  it('s3: an object already under the key is ALREADY_EXISTS (If-None-Match: *) and stays; multipart too', async () => {
    await mkdir(join(dir, 'again'), { recursive: true });
    const first = await randomFile(dir, 'create-only.bin');
    const items = await uploadFiles([first.path], s3Opts({ ifNotExists: true }));
    expect(items[0]!.ok).toBe(true);
    for (const size of [4096, 6 * 1024 * 1024]) {
      const again = await randomFile(join(dir, 'again'), 'create-only.bin', size);
      const [item] = await uploadFiles([again.path], s3Opts({ ifNotExists: true, partSize: 5 * 1024 * 1024 }));
      expect(item!.ok).toBe(false);
      if (item!.ok) return;
      expect(isUfsError(item!.error, 'ALREADY_EXISTS')).toBe(true);
      expect(item!.error.message).toMatch(/already exists \(ifNotExists/);
      expect((await objectBytes('create-only.bin'))!.equals(first.bytes)).toBe(true);
    }
    // Without it the object is replaced, as `aws s3 cp` does.
    const replacing = await randomFile(join(dir, 'again'), 'create-only.bin');
    expect((await uploadFiles([replacing.path], s3Opts()))[0]!.ok).toBe(true);
    expect((await objectBytes('create-only.bin'))!.equals(replacing.bytes)).toBe(true);
  });
});

describe('clean-up deletes only the object the upload wrote', () => {
  it('s3: an object replaced by another writer since the upload is left as it is (INTEGRITY)', async () => {
    const file = await randomFile(dir, 'replaced.txt');
    const provider = await loadProvider('s3');
    const options = { env: s3Env() };
    const result = await provider.upload(await fileSource(file.path), options);
    const other = Buffer.from('another upload under the same key');
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'replaced.txt', Body: other }));
    const err = await provider.delete!(result, options).catch((e: unknown) => e);
    expect(isUfsError(err, 'INTEGRITY')).toBe(true);
    expect((err as Error).message).toMatch(/no longer the object this upload wrote/);
    expect((await objectBytes('replaced.txt'))!.equals(other)).toBe(true);
    // Its own object, untouched, is deleted.
    const mine = await provider.upload(await fileSource(file.path), options);
    await provider.delete!(mine, options);
    expect(await objectBytes('replaced.txt')).toBeUndefined();
  });

  it('mount (local): a file rewritten since the upload is left as it is', async () => {
    const file = await randomFile(dir, 'rewritten.txt');
    const provider = await loadProvider('mount');
    const options = { env: {}, ...mountOpts().providerOptions!.mount };
    const result = await provider.upload(await fileSource(file.path), options);
    const stored = join(root, 'drop/rewritten.txt');
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later mtime
    await writeFile(stored, 'someone else wrote this, longer than before');
    const err = await provider.delete!(result, options).catch((e: unknown) => e);
    expect(isUfsError(err, 'INTEGRITY')).toBe(true);
    expect(await readFile(stored, 'utf8')).toBe('someone else wrote this, longer than before');
    const mine = await provider.upload(await fileSource(file.path), options);
    await provider.delete!(mine, options);
    await expect(readFile(stored)).rejects.toThrow();
  });
});
