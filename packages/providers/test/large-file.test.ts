import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '@org/core';
import { fileSource } from '../src/index.js';
import { countedBytes } from '../src/http/body.js';
import { postMultipart } from '../src/kit/http-upload.js';
import { checkedUrl, type SendContext } from '../src/kit/define.js';
import { verifyDownload } from '../src/orchestrator/verify.js';
import type { FakeService } from './fakes/base.js';
import { catboxFake } from './fakes/catbox.js';
import { tempDir } from './helpers.js';

// ONE large-file test, for the streaming path most providers use (multipart POST built as a stream with a known
// Content-Length), plus the streaming verification download: 1 GiB through both, memory must stay flat.
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

let fake: FakeService;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  fake = await catboxFake().start();
  ({ dir, cleanup } = await tempDir('ufs-large-'));
});
afterAll(async () => {
  await fake.stop();
  await cleanup();
});

/** Generates a 1 GiB file: sparse, with some real bytes every 64 MiB so the content is not all zeros. */
async function bigFile(path: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  await handle.truncate(size);
  for (let offset = 0; offset < size; offset += 64 * MiB) {
    await handle.write(Buffer.from(`ufs large-file test block at ${offset}\n`), 0, undefined, offset);
  }
  await handle.close();
}

describe('large file', () => {
  it('streams 1 GiB as multipart and verifies it by download with flat memory (RSS growth < 100 MiB)', async () => {
    const path = join(dir, 'big.bin');
    await bigFile(path, GiB);
    const { digest } = await hashFile(path);
    const source = await fileSource(path);

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let lastProgress = 0;
    try {
      const ctx: SendContext = {
        source,
        options: {},
        env: {},
        baseUrl: fake.url,
        context: { provider: 'catbox', operation: 'upload', path: source.filename },
        signal: undefined,
        timeoutMs: 120_000,
        idleTimeoutMs: undefined,
        bytes: (options) => countedBytes(source, (loaded) => (lastProgress = loaded), { provider: 'catbox' }, options),
        progress: () => undefined,
      };
      const reply = await postMultipart(ctx, {
        url: `${fake.url}/user/api.php`,
        fields: [['reqtype', 'fileupload']],
        field: 'fileToUpload',
      });
      const url = checkedUrl(reply.text);
      expect(url).toBeDefined();
      await verifyDownload(url!, { provider: 'catbox', sha256: digest, size: GiB, timeoutMs: 120_000 });
    } finally {
      clearInterval(sampler);
    }
    const growthMiB = (peak - baseline) / MiB;
    process.stderr.write(`large-file: 1 GiB upload + verify, RSS growth ${growthMiB.toFixed(1)} MiB\n`);
    expect(lastProgress).toBe(GiB);
    expect(fake.storedBytes()).toBe(GiB);
    expect(growthMiB).toBeLessThan(100);
  }, 180_000);
});
