// A caller's `onError` or `onProgress` that throws, in a copy or move: the run goes on and resolves (never rejects
// nor leaves an unhandled rejection while transfers are in flight); the callback's error is listed in `errors`,
// naming the callback, and every file keeps its outcome.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { MemoryBackend, StorageManager, type CopyError } from '../src/index.js';
import { failingReads } from './copy-helpers.js';
import { tempDir } from './helpers.js';

const NAMES = ['a.bin', 'bad1.bin', 'c.bin', 'bad2.bin', 'e.bin', 'sub/f.bin'];
const GOOD = NAMES.filter((name) => !name.startsWith('bad'));

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

/** Rejections that reached no handler: a callback's error escaping the run ends up here. */
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

beforeEach(async () => {
  unhandled.length = 0;
  dir = await tempDir('ufs-copy-callbacks-');
  storage = new StorageManager();
  await storage.configure([{ name: 'local', protocol: 'local', root: join(dir.path, 'local') }]);
  // Reads of anything named bad*.bin break after 1000 bytes.
  await storage.mountBackend(
    'faulty',
    failingReads(new MemoryBackend({ mountName: 'faulty' }), (key) => /\/bad\d*\.bin$/.test(key)),
  );
  for (const name of NAMES) await storage.node('faulty:src', name).writeBytes(Buffer.alloc(100_000, name.length));
});
afterEach(async () => {
  // Anything that escaped would surface within a few ticks of the run's end.
  await sleep(50);
  expect(unhandled).toEqual([]);
  await storage.dispose();
  await dir.cleanup();
});

async function expectCopied(names: readonly string[], root = 'local:dest'): Promise<void> {
  for (const name of names)
    expect((await storage.node(root, name).readBytes()).equals(Buffer.alloc(100_000, name.length))).toBe(true);
}

describe('onError that throws', () => {
  it('lists its error once per failure it was given, after that failure; the other files are copied', async () => {
    const given: CopyError[] = [];
    const summary = await copyNode(storage.node('faulty:src'), storage.node('local:dest'), {
      concurrency: 3,
      onError: (event) => {
        given.push(event);
        throw new Error('reporter bug');
      },
    });
    expect(summary.files).toBe(GOOD.length);
    await expectCopied(GOOD);
    // Called for the two real failures only, never for its own errors.
    expect(given.map((e) => e.path).sort()).toEqual(['faulty:src/bad1.bin', 'faulty:src/bad2.bin']);
    expect(summary.errors).toHaveLength(4);
    for (const failure of given) {
      const at = summary.errors.indexOf(failure);
      expect(at).toBeGreaterThanOrEqual(0);
      const next = summary.errors[at + 1]!;
      expect(next.path).toBe(failure.path);
      expect(next.dest).toBe(failure.dest);
      expect(next.error.code).toBe('UNEXPECTED');
      expect(next.error.retryable).toBe(false);
      expect(next.error.message).toBe(
        `[ufs] copy "${failure.path}" → "${failure.dest}": the onError callback threw: reporter bug ` +
          '(the failure it was given is listed too)',
      );
    }
  });

  it('in a move, the moved files are gone from the source and the failed ones stay', async () => {
    const summary = await moveNode(storage.node('faulty:src'), storage.node('local:dest'), {
      onError: () => {
        throw new Error('reporter bug');
      },
    });
    expect(summary.files).toBe(GOOD.length);
    await expectCopied(GOOD);
    for (const name of GOOD) expect(await storage.node('faulty:src', name).exists()).toBe(false);
    for (const name of ['bad1.bin', 'bad2.bin']) expect(await storage.node('faulty:src', name).exists()).toBe(true);
    expect(summary.errors.map((e) => e.error.message).filter((m) => m.includes('onError callback threw'))).toEqual([
      expect.stringContaining('[ufs] move "faulty:src/bad'),
      expect.stringContaining('[ufs] move "faulty:src/bad'),
    ]);
  });
});

describe('onProgress that throws', () => {
  it('lists its error once for each file it threw for; every file is copied whole', async () => {
    let calls = 0;
    const summary = await copyNode(storage.node('faulty:src'), storage.node('local:dest'), {
      concurrency: 3,
      include: GOOD,
      onProgress: () => {
        calls++;
        throw new Error('progress bar bug');
      },
    });
    expect(summary.files).toBe(GOOD.length);
    expect(summary.bytes).toBe(GOOD.length * 100_000);
    await expectCopied(GOOD);
    // Still called for the rest of each transfer, its later errors not listed again.
    expect(calls).toBeGreaterThanOrEqual(GOOD.length);
    expect(summary.errors.map((e) => e.path).sort()).toEqual(GOOD.map((name) => `faulty:src/${name}`).sort());
    for (const { path, dest, error } of summary.errors) {
      expect(error.code).toBe('UNEXPECTED');
      expect(error.message).toBe(
        `[ufs] copy "${path}" → "${dest}": the onProgress callback threw: progress bar bug (the transfer went on)`,
      );
    }
  });

  it('a single file moves all the same, and onError is given the callback error', async () => {
    const given: string[] = [];
    const summary = await moveNode(storage.node('faulty:src/a.bin'), storage.node('local:one/a.bin'), {
      onProgress: () => {
        throw new Error('progress bar bug');
      },
      onError: (event) => given.push(event.error.message),
    });
    expect(summary.files).toBe(1);
    await expectCopied(['a.bin'], 'local:one');
    expect(await storage.node('faulty:src/a.bin').exists()).toBe(false);
    expect(summary.errors).toHaveLength(1);
    expect(given).toEqual([summary.errors[0]!.error.message]);
    expect(given[0]).toContain('the onProgress callback threw: progress bar bug (the transfer went on)');
  });
});
