// Copy and move between local and S3 (a real Ceph radosgw from @org/test-services), and inside one bucket.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashBytes, type StorageBackend } from '@org/core';
import definition from '../src/backends/s3/index.js';
import { copyNode, moveNode } from '../src/copy/index.js';
import { LocalBackend, StorageManager, type StorageNode } from '../src/index.js';
import { counting, failingReads } from './copy-helpers.js';
import { rejectsWith, tempDir } from './helpers.js';
import { createBucket, openUploads, rawClient, removeBucket, s3Endpoint } from './services/s3.js';

const MiB = 1024 * 1024;
const s3 = await s3Endpoint();
const raw = rawClient(s3);
const bucket = `ufs-copy-${randomBytes(3).toString('hex')}`;
await createBucket(raw, bucket);
afterAll(async () => {
  try {
    await removeBucket(raw, bucket);
  } finally {
    raw.destroy();
    await s3.stop();
  }
}, 60_000);

async function s3Backend(prefix: string): Promise<StorageBackend> {
  const options = definition.options.parse({
    bucket,
    prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    partSize: 5 * MiB,
  });
  return definition.create(options, { mountName: 's3', env: {} });
}

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let s3calls: ReturnType<typeof counting>['calls'];
let run = 0;

beforeEach(async () => {
  dir = await tempDir('ufs-copy-s3-');
  storage = new StorageManager();
  await storage.configure([{ name: 'local', protocol: 'local', root: join(dir.path, 'local') }]);
  const wrapped = counting(await s3Backend(`run-${++run}`));
  s3calls = wrapped.calls;
  await storage.mountBackend('s3', wrapped.backend);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const FILES: Record<string, Buffer> = {
  'readme.md': Buffer.from('# hello\n'),
  'data/table.csv': Buffer.from('a,b\n1,2\n'),
  'data/raw/blob.bin': randomBytes(300_000),
  'data/raw/big.bin': randomBytes(6 * MiB + 123), // two parts
};

async function seedLocal(folder: string): Promise<void> {
  for (const [path, bytes] of Object.entries(FILES)) {
    await mkdir(join(dir.path, 'local', folder, path, '..'), { recursive: true });
    await writeFile(join(dir.path, 'local', folder, path), bytes);
  }
}

async function digests(root: StorageNode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const node of root.list({ recursive: true }))
    if (node.listed?.isFile) out[node.path.slice(root.path.length + 1)] = await node.hash('sha256');
  return out;
}
const expected = Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, hashBytes(v, 'sha256')]));

describe('local ↔ s3', () => {
  it('a tree goes local → s3 → local unchanged, streamed both ways; content types follow', async () => {
    await seedLocal('src');
    const up = await copyNode(storage.node('local:src'), storage.node('s3:mirror'));
    expect(up).toMatchObject({ files: 4, skipped: 0, errors: [] });
    expect(await digests(storage.node('s3:mirror'))).toEqual(expected);
    expect((await storage.node('s3:mirror/data/table.csv').stat()).contentType).toBe('text/csv');
    expect(s3calls.copy).toBeUndefined();

    const down = await copyNode(storage.node('s3:mirror'), storage.node('local:back'));
    expect(down).toMatchObject({ files: 4, errors: [] });
    for (const [path, bytes] of Object.entries(FILES))
      expect((await readFile(join(dir.path, 'local', 'back', path))).equals(bytes)).toBe(true);
  });

  it('skip hash: S3’s stored MD5 against a streamed MD5 of the local file; only the changed file goes', async () => {
    await seedLocal('src');
    await copyNode(storage.node('local:src'), storage.node('s3:mirror'));
    await writeFile(join(dir.path, 'local', 'src', 'readme.md'), '# HELLO\n'); // same size, new bytes
    const writes = s3calls.write ?? 0;
    const reads = s3calls.read ?? 0;
    const skipped: string[] = [];
    const summary = await copyNode(storage.node('local:src'), storage.node('s3:mirror'), {
      skip: 'hash',
      onSkip: (e) => skipped.push(`${e.src.basename}:${e.reason}`),
    });
    expect(summary).toMatchObject({ files: 1, skipped: 3 });
    expect(skipped.sort()).toEqual(['big.bin:hash', 'blob.bin:hash', 'table.csv:hash']);
    expect((s3calls.write ?? 0) - writes).toBe(1);
    // Single-part objects compare by their stored MD5 (no S3 read); the multipart one's ETag is no MD5, so its
    // SHA-256 is streamed from both sides: one S3 read in all.
    expect((s3calls.read ?? 0) - reads).toBe(1);
    expect(await storage.node('s3:mirror/readme.md').readText()).toBe('# HELLO\n');
  });

  it('inside one bucket, copy is server-side and move is copy + delete (S3 has no rename)', async () => {
    await seedLocal('src');
    await copyNode(storage.node('local:src'), storage.node('s3:a'));
    const before = { read: s3calls.read ?? 0, write: s3calls.write ?? 0 };
    const methods: string[] = [];
    const copied = await copyNode(storage.node('s3:a'), storage.node('s3:b'), {
      onFile: (e) => methods.push(e.method),
    });
    expect(copied).toMatchObject({ files: 4, errors: [] });
    expect(methods).toEqual(['copy', 'copy', 'copy', 'copy']);
    expect(s3calls.copy).toBe(4);
    expect({ read: s3calls.read ?? 0, write: s3calls.write ?? 0 }).toEqual(before);
    expect(await digests(storage.node('s3:b'))).toEqual(expected);

    const moved = await moveNode(storage.node('s3:b'), storage.node('s3:c'));
    expect(moved).toMatchObject({ files: 4, errors: [] });
    expect(s3calls.copy).toBe(8);
    expect(s3calls.rename).toBeUndefined();
    expect(await storage.node('s3:b').exists()).toBe(false);
    expect(await digests(storage.node('s3:c'))).toEqual(expected);
  });

  it('a source that breaks mid-upload leaves no object and no open multipart upload', async () => {
    await seedLocal('src');
    await storage.mountBackend(
      'faulty',
      failingReads(
        new LocalBackend({ root: join(dir.path, 'local'), mountName: 'faulty' }),
        (key) => key.endsWith('big.bin'),
        5 * MiB + 10, // past the first part
      ),
    );
    const summary = await copyNode(storage.node('faulty:src'), storage.node('s3:up'));
    expect(summary.files).toBe(3);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['faulty:src/data/raw/big.bin', 'UNEXPECTED']]);
    expect(await storage.node('s3:up/data/raw/big.bin').exists()).toBe(false);
    expect(await storage.node('s3:up/data/raw/blob.bin').size()).toBe(300_000);
    expect(await openUploads(raw, bucket, `run-${run}/`)).toEqual([]);
  });

  it('an abort during a multipart upload rejects with ABORTED and leaves nothing behind', async () => {
    await seedLocal('src');
    const controller = new AbortController();
    const pending = copyNode(storage.node('local:src/data/raw/big.bin'), storage.node('s3:aborted/big.bin'), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.loaded > 5.5 * MiB) controller.abort();
      },
    });
    await rejectsWith(pending, 'ABORTED');
    expect(await storage.node('s3:aborted/big.bin').exists()).toBe(false);
    expect(await openUploads(raw, bucket, `run-${run}/`)).toEqual([]);
  });
});
