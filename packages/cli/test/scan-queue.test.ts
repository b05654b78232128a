import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Semaphore } from '../src/scan/semaphore.js';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// The scan's queue of uploads stays bounded when uploads are slower than the walk: the walk waits (each waiting
// upload holds its record, a few KB, so an unbounded queue grew with the tree).

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore: a bounded queue', () => {
  it('a producer that waits with whenWaitingBelow keeps the queue under its limit; every task runs, as many at once as slots', async () => {
    const slots = new Semaphore(2);
    let active = 0;
    let peak = 0;
    let done = 0;
    const tasks: Array<Promise<void>> = [];
    for (let i = 0; i < 2000; i++) {
      await slots.whenWaitingBelow(10);
      tasks.push(
        slots.run(async () => {
          peak = Math.max(peak, ++active);
          await tick();
          active--;
          done++;
        }),
      );
    }
    await Promise.all(tasks);
    expect(done).toBe(2000);
    expect(peak).toBe(2);
    expect(slots.maxWaiting).toBe(10);
    expect(slots.waiting).toBe(0);
  });

  it('without waiting, the queue takes everything (what the scan did before)', async () => {
    const slots = new Semaphore(1);
    const tasks = Array.from({ length: 500 }, () => slots.run(tick));
    expect(slots.waiting).toBe(499);
    await Promise.all(tasks);
    expect(slots.maxWaiting).toBe(499);
  });

  it('whenWaitingBelow resolves at once when the queue is short, and each producer at its own limit', async () => {
    const slots = new Semaphore(1);
    await slots.whenWaitingBelow(1); // nothing waits
    let release!: () => void;
    const first = slots.run(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = Array.from({ length: 5 }, () => slots.run(tick));
    const order: string[] = [];
    const low = slots.whenWaitingBelow(2).then(() => order.push('below 2'));
    const high = slots.whenWaitingBelow(5).then(() => order.push('below 5'));
    await tick();
    expect(order).toEqual([]);
    release();
    await Promise.all([first, ...queued, low, high]);
    expect(order).toEqual(['below 5', 'below 2']);
  });
});

describe('ufs scan against a server whose uploads are slow', () => {
  const FILES = 1500;
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Served;
  let proxy: CountingProxy;
  let tree: string;

  beforeAll(async () => {
    box = await sandbox();
    server = await serve([], box.env);
    // every answer held back: uploads (one at a time) are far slower than walking and hashing
    proxy = await countingProxy(server.url, { delayMs: 4 });
    tree = join(box.dir, 'many');
    await mkdir(tree, { recursive: true });
    await Promise.all(Array.from({ length: FILES }, (_, i) => writeFile(join(tree, `f${i}.txt`), `file ${i}\n`)));
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await box?.cleanup();
  });

  it('keeps the queue of uploads bounded (the walk waits), with the same concurrency and figures', async () => {
    const run = await ufs(
      [
        'scan',
        '--hostname',
        'queue',
        '--no-cache',
        '--uploads',
        '1',
        '-c',
        '1',
        '--batch-size',
        '10',
        '-V',
        '--json',
        tree,
      ],
      { env: { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! }, timeoutMs: 170_000 },
    );
    expect(run.status).toBe(0);
    expect(run.json<{ stats: Record<string, number> }>().stats).toMatchObject({
      files: FILES,
      sent: FILES,
      new: FILES,
      uploaded: FILES,
      failed: 0,
    });
    expect(proxy.requests['POST /upload_file']).toBe(FILES);
    expect(proxy.peak['POST /upload_file']).toBe(1); // --uploads 1
    const line = /^scan: at most (\d+) uploads waited for a slot \(the walk waits at (\d+)\)$/m.exec(run.stderr);
    expect(line).not.toBeNull();
    const [most, limit] = [Number(line![1]), Number(line![2])];
    expect(limit).toBe(64); // 16 per upload slot, at least 64
    // The bound: the limit, plus what was already on its way when the walk stopped (batches in flight, at most
    // 2 × 3 + 1 of 10 records, and the files being hashed, 256 per hashing thread). Without it, nearly every file.
    expect(most).toBeGreaterThanOrEqual(limit);
    expect(most).toBeLessThanOrEqual(limit + 7 * 10 + 256 + 10);
  }, 180_000);
});
