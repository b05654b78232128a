// One ≥ 1 GiB file copied local → S3 (radosgw) → local through the copy engine: memory must stay flat and the bytes
// must come back identical (SHA-256). The only test of its size for the copy engine; it takes about a minute.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, expect, it } from '@jest/globals';
import { hashFile } from '@org/core';
import definition from '../src/backends/s3/index.js';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { rssSampler } from './copy-helpers.js';
import { tempDir } from './helpers.js';
import { createBucket, rawClient, removeBucket, s3Endpoint } from './services/s3.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB + 12_345; // a little over 1 GiB, not a whole number of parts
const RSS_LIMIT_MIB = 150;

const s3 = await s3Endpoint();
const raw = rawClient(s3);
const bucket = `ufs-copy-large-${randomBytes(3).toString('hex')}`;
await createBucket(raw, bucket);
const dir = await tempDir('ufs-copy-large-');
const storage = new StorageManager();
afterAll(async () => {
  try {
    await storage.node('s3:big/large.bin').delete(); // radosgw keeps it in memory: free it at once
    await storage.dispose();
    await removeBucket(raw, bucket);
  } finally {
    raw.destroy();
    await dir.cleanup();
    await s3.stop();
  }
}, 120_000);

/** Writes `size` pseudo-random bytes (a random MiB, each copy stamped with its index) and returns their SHA-256. */
async function generate(path: string, size: number): Promise<string> {
  const base = randomBytes(MiB);
  const hash = createHash('sha256');
  async function* blocks(): AsyncGenerator<Buffer> {
    for (let offset = 0, i = 0; offset < size; offset += MiB, i++) {
      const block = Buffer.from(base.subarray(0, Math.min(MiB, size - offset)));
      block.writeUInt32BE(i, 0);
      hash.update(block);
      yield block;
    }
  }
  await pipeline(Readable.from(blocks()), createWriteStream(path));
  return hash.digest('hex');
}

it(
  'local → s3 → local, ≥ 1 GiB: streamed with flat memory, identical SHA-256',
  async () => {
    await storage.configure([{ name: 'local', protocol: 'local', root: dir.path }]);
    const options = definition.options.parse({
      bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    await storage.mountBackend('s3', await definition.create(options, { mountName: 's3', env: {} }));
    const digest = await generate(join(dir.path, 'large.bin'), SIZE);

    const figures: string[] = [];
    const leg = async (label: string, from: string, to: string) => {
      global.gc?.();
      const sampler = rssSampler();
      const started = performance.now();
      let events = 0;
      const summary = await copyNode(storage.node(from), storage.node(to), { onProgress: () => events++ });
      const seconds = (performance.now() - started) / 1000;
      const rss = sampler.stop();
      figures.push(
        `${label}: ${(SIZE / MiB / seconds).toFixed(0)} MiB/s, RSS ${rss.start.toFixed(0)} → peak ${rss.peak.toFixed(0)} MiB (+${rss.growth.toFixed(0)} MiB)`,
      );
      expect(summary).toEqual({ files: 1, bytes: SIZE, skipped: 0, errors: [] });
      expect(events).toBeGreaterThan(1000);
      expect(rss.growth).toBeLessThan(RSS_LIMIT_MIB);
    };

    await leg('local → s3', 'local:large.bin', 's3:big/large.bin');
    expect(await storage.node('s3:big/large.bin').size()).toBe(SIZE);
    await leg('s3 → local', 's3:big/large.bin', 'local:back/large.bin');
    console.log(`[copy-large] ${figures.join('; ')}`);

    expect((await stat(join(dir.path, 'back', 'large.bin'))).size).toBe(SIZE);
    expect((await hashFile(join(dir.path, 'back', 'large.bin'))).digest).toBe(digest);
  },
  10 * 60_000,
);
