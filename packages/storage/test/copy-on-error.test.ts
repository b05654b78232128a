// `onError`: each failure of a copy as it is recorded, so that a caller can count the failures of a run that
// rejects (an abort, failFast) and never returns its summary.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { interceptBackend, MemoryBackend, StorageManager, type CopyError } from '../src/index.js';
import { failingReads } from './copy-helpers.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let seen: CopyError[];
const onError = (event: CopyError) => seen.push(event);

beforeEach(async () => {
  dir = await tempDir('ufs-copy-on-error-');
  storage = new StorageManager();
  seen = [];
  await storage.configure([{ name: 'local', protocol: 'local', root: join(dir.path, 'local') }]);
  // Reads of anything named bad*.bin break after 1000 bytes.
  await storage.mountBackend(
    'faulty',
    failingReads(new MemoryBackend({ mountName: 'faulty' }), (key) => /\/bad\d*\.bin$/.test(key)),
  );
  for (const name of ['a.bin', 'bad1.bin', 'c.bin', 'bad2.bin', 'e.bin', 'sub/f.bin'])
    await storage.node('faulty:src', name).writeBytes(Buffer.alloc(100_000, name.length));
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('onError', () => {
  it('is called with each entry of `errors`, as it is recorded', async () => {
    const summary = await copyNode(storage.node('faulty:src'), storage.node('local:dest'), { onError });
    expect(summary.files).toBe(4);
    expect(summary.errors).toHaveLength(2);
    expect(seen).toHaveLength(2);
    // The same entries, not copies.
    for (const entry of summary.errors) expect(seen).toContain(entry);
    expect(seen.map((e) => e.path).sort()).toEqual(['faulty:src/bad1.bin', 'faulty:src/bad2.bin']);
    for (const { dest, error } of seen) {
      expect(dest).toMatch(/^local:dest\/bad\d\.bin$/);
      expect(error).toBeInstanceOf(UfsError);
      expect(error.code).toBe('UNEXPECTED');
    }
  });

  it('a folder that cannot be listed is given with its path', async () => {
    const broken = interceptBackend(new MemoryBackend({ mountName: 'nolist' }), async (call, next) => {
      if (call.op === 'list') throw new UfsError('UNAVAILABLE', '[ufs] [nolist] list: injected', { retryable: false });
      return next();
    });
    await storage.mountBackend('nolist', broken);
    await storage.node('nolist:tree/a.txt').writeText('a');
    await copyNode(storage.node('nolist:tree'), storage.node('local:out'), { onError });
    expect(seen.map((e) => [e.path, e.error.code])).toEqual([['nolist:tree', 'UNAVAILABLE']]);
  });

  it('gives the failures before an abort, when the call rejects without a summary; aborted files are not failures', async () => {
    const controller = new AbortController();
    let copied = 0;
    await rejectsWith(
      copyNode(storage.node('faulty:src'), storage.node('local:dest'), {
        concurrency: 4,
        signal: controller.signal,
        onFile: () => copied++,
        // The abort lands with the other files in flight.
        onError: (event) => {
          onError(event);
          controller.abort();
        },
      }),
      'ABORTED',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toMatch(/^faulty:src\/bad\d\.bin$/);
    expect(seen[0]!.error.code).toBe('UNEXPECTED');
    expect(copied).toBeLessThan(4);
  });

  it('with failFast, gives the failure the call rejects with', async () => {
    const error = await rejectsWith(
      copyNode(storage.node('faulty:src'), storage.node('local:dest'), { failFast: true, concurrency: 1, onError }),
      'UNEXPECTED',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('faulty:src/bad1.bin');
    expect(seen[0]!.error.message).toBe(error.message);
  });
});
