// The gcs backend on a failing network, with real sockets and the local fake of the GCS JSON API: a download cut off
// mid-way fails instead of never ending (a reset or a plain close, which the SDK's stream never notices: UNAVAILABLE at
// once, the backend watching the HTTP response), and a server that accepts connections and never answers fails
// with TIMEOUT (connectTimeoutMs + timeoutMs) instead of hanging. A copy (the node read path) resumes a cut read.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Storage } from '@google-cloud/storage';
import definition from '../src/backends/gcs/index.js';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { readAll, rejectsWith, tempDir } from './helpers.js';
import { blackhole, cuttingProxy, settlesWithin } from './net-faults.js';

const MiB = 1024 * 1024;
const fixture = await startGcsFixture();
const { base, create } = fixture;
const silent = await blackhole();
const port = Number(new URL(fixture.fake.endpoint).port);
// A plain close (FIN): the SDK's stream then neither ends nor fails (the backend sees it on the HTTP response). A reset
// (RST) is reported by the SDK itself.
const proxy = await cuttingProxy(port, 3 * MiB, 'close');
const resetting = await cuttingProxy(port, 3 * MiB, 'reset');
const big = randomBytes(12 * MiB);
const direct = await create({ ...base, bucket: 'ufs-plain' });
await direct.write('faults/big.bin', Readable.from([big]), { size: big.length });

afterAll(async () => {
  await proxy.close();
  await resetting.close();
  await silent.close();
  await fixture.close();
}, 30_000);

describe('gcs with the connection lost mid-download', () => {
  const through = async (extra: Record<string, unknown> = {}) =>
    create({ ...base, bucket: 'ufs-plain', apiEndpoint: proxy.endpoint, ...extra });

  it('a whole read cut off by a plain close fails at once with UNAVAILABLE, instead of never ending', async () => {
    // The SDK's stream neither ends nor fails here (its HTTP client never sees the early close): the backend sees the
    // HTTP response close before its last byte.
    const proxied = await through({ timeoutMs: 500 });
    const reading = readAll(await proxied.read('faults/big.bin'));
    expect(await settlesWithin(20_000, reading)).toBeLessThan(20_000);
    const error = await rejectsWith(reading, 'UNAVAILABLE');
    expect(error.message).toMatch(
      /^\[ufs\] \[gcs\] read "gcs-test:faults\/big\.bin": the connection closed after \d+ of 12582912 bytes$/,
    );
    expect(error.retryable).toBe(true);
    expect(proxy.cuts).toBeGreaterThan(0);
  }, 60_000);

  it('a ranged read fails the same way', async () => {
    const stream = await (await through({ timeoutMs: 500 })).read('faults/big.bin', { start: 1024, end: 10 * MiB });
    await rejectsWith(readAll(stream), 'UNAVAILABLE');
  }, 60_000);

  it('a copy to a local folder cut more often than reads resume reports the failure, no temporary file left', async () => {
    // Every connection cut after 1 MiB: the 12 MiB read gives up after its resumed reads (READ_RESUMES).
    const often = await cuttingProxy(port, MiB, 'close');
    const dir = await tempDir('ufs-gcs-cut-');
    const storage = new StorageManager();
    try {
      await storage.configure([{ name: 'loc', protocol: 'local', root: dir.path }]);
      await storage.mountBackend(
        'gcsp',
        await create({ ...base, bucket: 'ufs-plain', apiEndpoint: often.endpoint, timeoutMs: 500 }),
      );
      const summary = await copyNode(storage.node('gcsp:faults/big.bin'), storage.node('loc:got.bin'));
      expect(summary.files).toBe(0);
      expect(summary.errors.map((e) => e.error.code)).toEqual(['UNAVAILABLE']);
      expect(summary.errors[0]!.error.message).toMatch(/\(the read was resumed 5 times\)$/);
      expect(await readdir(dir.path)).toEqual([]);
    } finally {
      await storage.dispose();
      await dir.cleanup();
      await often.close();
    }
  }, 60_000);

  it('a copy to a local folder goes on after a cut: the file arrives whole', async () => {
    const dir = await tempDir('ufs-gcs-cut-');
    const storage = new StorageManager();
    try {
      await storage.configure([{ name: 'loc', protocol: 'local', root: dir.path }]);
      await storage.mountBackend('gcsp', await through({ timeoutMs: 500 }));
      const summary = await copyNode(storage.node('gcsp:faults/big.bin'), storage.node('loc:got.bin'));
      expect(summary.errors).toEqual([]);
      expect((await readFile(join(dir.path, 'got.bin'))).equals(big)).toBe(true);
    } finally {
      await storage.dispose();
      await dir.cleanup();
    }
  }, 60_000);

  it('a reset connection fails with UNAVAILABLE too', async () => {
    const backend = await create({ ...base, bucket: 'ufs-plain', apiEndpoint: resetting.endpoint });
    const reading = readAll(await backend.read('faults/big.bin'));
    expect(await settlesWithin(20_000, reading)).toBeLessThan(20_000);
    expect((await rejectsWith(reading, 'UNAVAILABLE')).retryable).toBe(true);
  }, 60_000);

  it('a consumer that reads slowly is not failed by the idle timeout', async () => {
    const backend = await create({ ...base, bucket: 'ufs-plain', timeoutMs: 300, connectTimeoutMs: 300 });
    const stream = await backend.read('faults/big.bin');
    const started = Date.now();
    let n = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (++n % 32 === 0) await new Promise((r) => setTimeout(r, 350));
    }
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(600);
  }, 60_000);
});

describe('gcs against a server that never answers', () => {
  const silentMount = (extra: Record<string, unknown>) =>
    create({ ...base, bucket: 'ufs-plain', apiEndpoint: silent.endpoint, ...extra });

  it('stat fails with TIMEOUT after connectTimeoutMs + timeoutMs, naming the server and the options', async () => {
    const backend = await silentMount({ connectTimeoutMs: 100, timeoutMs: 200 });
    const pending = backend.stat('a.txt');
    expect(await settlesWithin(60_000, pending)).toBeLessThan(60_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [gcs] stat "gcs-test:a.txt": no answer from ${silent.endpoint} within 300 ms (connectTimeoutMs + timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
  }, 90_000);

  it('read fails with TIMEOUT too', async () => {
    const backend = await silentMount({ connectTimeoutMs: 100, timeoutMs: 200 });
    const pending = backend.read('a.txt');
    expect(await settlesWithin(60_000, pending)).toBeLessThan(60_000);
    await rejectsWith(pending, 'TIMEOUT');
  }, 90_000);

  it('checks the options', () => {
    expect(() => definition.options.parse({ ...base, bucket: 'ufs-plain', timeoutMs: -1 })).toThrow(
      'timeoutMs must be at least 0 (0 = no limit)',
    );
    const client = new Storage({ apiEndpoint: fixture.fake.endpoint });
    expect(() => definition.options.parse({ storage: client, bucket: 'ufs-plain', connectTimeoutMs: 5 })).toThrow(
      'a ready storage already has its settings: do not combine it with connectTimeoutMs',
    );
  });
});
