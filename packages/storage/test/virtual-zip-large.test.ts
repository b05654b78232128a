// zip() of a tree holding one 1 GiB file (sparse, made with truncate) streamed to a counting sink: memory stays flat.
// The only test of its size for virtual nodes.
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { zip } from '../src/virtual/index.js';
import { rssSampler } from './copy-helpers.js';
import { tempDir } from './helpers.js';

const GiB = 1024 * 1024 * 1024;
const RSS_LIMIT_MIB = 100;

const dir = await tempDir('ufs-zip-large-');
const storage = new StorageManager();
afterAll(async () => {
  await storage.dispose();
  await dir.cleanup();
});

it(
  'a 1 GiB file in a zipped tree streams through with RSS growth under 100 MiB',
  async () => {
    await mkdir(join(dir.path, 'tree', 'media'), { recursive: true });
    await writeFile(join(dir.path, 'tree', 'media', 'huge.bin'), '');
    await truncate(join(dir.path, 'tree', 'media', 'huge.bin'), GiB); // sparse: zeros, no disk used
    await writeFile(join(dir.path, 'tree', 'readme.txt'), 'a big tree\n');
    await storage.configure([{ name: 'disk', protocol: 'local', root: dir.path }]);

    const archive = zip(storage.node('disk:tree'), { compress: false });
    const expected = await archive.size();
    expect(expected).toBeGreaterThan(GiB);
    expect(expected! - GiB).toBeLessThan(1024); // headers, data descriptors, central directory

    global.gc?.();
    const sampler = rssSampler();
    const started = performance.now();
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.byteLength;
        done();
      },
    });
    await pipeline(archive.createReadStream(), sink);
    const seconds = (performance.now() - started) / 1000;
    const rss = sampler.stop();
    console.log(
      `[zip-large] ${(bytes / 1024 / 1024).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(bytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s), RSS ${rss.start.toFixed(0)} → peak ${rss.peak.toFixed(0)} MiB (+${rss.growth.toFixed(0)} MiB)`,
    );
    expect(bytes).toBe(expected);
    expect(rss.growth).toBeLessThan(RSS_LIMIT_MIB);
  },
  5 * 60_000,
);
