// Copy engine failures: one bad file among good ones (never a partial destination), failFast, abort, bad input.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sleep, UfsError, type StorageBackend } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { interceptBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { counting, failingReads, nonAtomic } from './copy-helpers.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-copy-errors-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'memory', protocol: 'memory' },
  ]);
  // Reads of anything named bad.bin break after 1000 bytes.
  await storage.mountBackend(
    'faulty',
    failingReads(new MemoryBackend({ mountName: 'faulty' }), (key) => key.endsWith('bad.bin')),
  );
  for (const name of ['good1.bin', 'bad.bin', 'good2.bin', 'sub/good3.bin'])
    await storage.node('faulty:src', name).writeBytes(Buffer.alloc(100_000, name.length));
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Every key below a node (files only), relative. */
async function keys(root: StorageNode): Promise<string[]> {
  const out: string[] = [];
  for await (const node of root.list({ recursive: true }))
    if (node.listed?.isFile) out.push(node.path.slice(root.path.length + 1));
  return out.sort();
}

describe('an error in one file', () => {
  it('the injected fault is real: a non-atomic backend written directly keeps the partial file', async () => {
    await storage.mountBackend(
      'plain',
      nonAtomic(new MemoryBackend({ mountName: 'plain' }), { rename: true, copy: true }),
    );
    const target = storage.node('plain:direct.bin');
    await rejectsWith(target.write(storage.node('faulty:src/bad.bin').createReadStream()), 'UNEXPECTED');
    expect(await target.size()).toBe(1000);
  });

  const DESTINATIONS: [string, () => Promise<{ name: string; calls?: Record<string, number | undefined> }>][] = [
    ['local (atomic writes)', async () => ({ name: 'local' })],
    [
      'non-atomic with rename (temporary key, renamed into place)',
      async () => {
        const { backend, calls } = counting(
          nonAtomic(new MemoryBackend({ mountName: 'na' }), { rename: true, copy: false }),
        );
        await storage.mountBackend('na', backend);
        return { name: 'na', calls };
      },
    ],
    [
      'non-atomic with neither rename nor copy (written in place, partial deleted)',
      async () => {
        const { backend, calls } = counting(
          nonAtomic(new MemoryBackend({ mountName: 'bare' }), { rename: false, copy: false }),
        );
        await storage.mountBackend('bare', backend);
        return { name: 'bare', calls };
      },
    ],
  ];

  it.each(DESTINATIONS)(
    'is reported with its path, leaves no partial file, the others are copied: %s',
    async (_, make) => {
      const { name, calls } = await make();
      const summary = await copyNode(storage.node('faulty:src'), storage.node(`${name}:dest`));
      expect(summary.files).toBe(3);
      expect(summary.bytes).toBe(300_000);
      expect(summary.errors).toHaveLength(1);
      const [failure] = summary.errors;
      expect(failure!.path).toBe('faulty:src/bad.bin');
      expect(failure!.dest).toBe(`${name}:dest/bad.bin`);
      expect(failure!.error).toBeInstanceOf(UfsError);
      expect(failure!.error.code).toBe('UNEXPECTED');
      expect(failure!.error.message).toContain('injected failure');
      expect(await keys(storage.node(`${name}:dest`))).toEqual(['good1.bin', 'good2.bin', 'sub/good3.bin']);
      if (name === 'local')
        expect(await readdir(join(dir.path, 'local', 'dest'))).toEqual(['good1.bin', 'good2.bin', 'sub']);
      if (name === 'na') expect(calls!.rename).toBe(3); // each good file went through a temporary key
      if (name === 'bare') expect(calls!.rename ?? 0).toBe(0);
    },
  );

  it('a failed overwrite on an atomic backend keeps the previous content', async () => {
    await storage.node('local:dest/bad.bin').writeText('previous');
    const summary = await copyNode(storage.node('faulty:src'), storage.node('local:dest'));
    expect(summary.errors.map((e) => e.path)).toEqual(['faulty:src/bad.bin']);
    expect(await storage.node('local:dest/bad.bin').readText()).toBe('previous');
  });

  it('failFast rejects with the first failure (its path in the error) and leaves no partial file', async () => {
    const error = await rejectsWith(
      copyNode(storage.node('faulty:src'), storage.node('local:dest'), { failFast: true, concurrency: 1 }),
      'UNEXPECTED',
    );
    expect(error.context.path).toBe('faulty:src/bad.bin');
    const left = await keys(storage.node('local:dest'));
    expect(left).not.toContain('bad.bin');
    expect(left.length).toBeLessThan(3);
  });

  it('a listing that fails is reported with the folder’s path', async () => {
    const broken = interceptBackend(new MemoryBackend({ mountName: 'nolist' }), async (call, next) => {
      if (call.op === 'list') throw new UfsError('UNAVAILABLE', '[ufs] [nolist] list: injected', { retryable: false });
      return next();
    });
    await storage.mountBackend('nolist', broken);
    await storage.node('nolist:tree/a.txt').writeText('a');
    const summary = await copyNode(storage.node('nolist:tree'), storage.node('memory:out'));
    expect(summary.files).toBe(0);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['nolist:tree', 'UNAVAILABLE']]);
  });

  it('a read-only destination fails each file with PERMISSION_DENIED', async () => {
    await storage.configure([{ name: 'ro', protocol: 'memory', permissions: 'readonly' }]);
    const summary = await copyNode(storage.node('memory:none'), storage.node('ro:x')).catch((e: UfsError) => e.code);
    expect(summary).toBe('NOT_FOUND');
    const result = await copyNode(storage.node('faulty:src/good1.bin'), storage.node('ro:x.bin'));
    expect(result.errors.map((e) => e.error.code)).toEqual(['PERMISSION_DENIED']);
  });
});

/** Writes that consume their source slowly (abortably), to have transfers in flight; counts how writes end. */
function throttled(inner: StorageBackend, msPerChunk: number, fast?: { key: string; afterStarted: number }) {
  const state = { started: 0, completed: 0, aborted: 0 };
  const backend = interceptBackend(inner, async (call, next) => {
    if (call.op !== 'write') return next();
    const [key, source, options] = call.args as [string, AsyncIterable<Uint8Array>, { signal?: AbortSignal }];
    const isFast = fast !== undefined && key.endsWith(fast.key);
    async function* slowly() {
      for await (const chunk of source) {
        if (!isFast) await sleep(msPerChunk, options?.signal);
        yield chunk;
      }
    }
    state.started++;
    // The fast write finishes only once others are in flight, whatever the machine's load.
    for (let waited = 0; isFast && state.started < fast.afterStarted && waited < 10_000; waited += 5) await sleep(5);
    try {
      const result = await next([key, Readable.from(slowly(), { objectMode: false }), options]);
      state.completed++;
      return result;
    } catch (err) {
      if ((err as UfsError).code === 'ABORTED') state.aborted++;
      throw err;
    }
  });
  return { backend, state };
}

describe('abort', () => {
  it('stops scheduling, aborts in-flight transfers, rejects with ABORTED and leaves only whole files', async () => {
    const { backend, state } = throttled(new MemoryBackend({ mountName: 'slowdisk' }), 100, {
      key: 'f00.bin',
      afterStarted: 3,
    });
    await storage.mountBackend('slowdisk', backend);
    const big = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 12; i++) await storage.node(`local:many/f${String(i).padStart(2, '0')}.bin`).writeBytes(big);
    const controller = new AbortController();
    let copied = 0;
    const error = await rejectsWith(
      copyNode(storage.node('local:many'), storage.node('slowdisk:out'), {
        signal: controller.signal,
        onFile: () => {
          copied++;
          controller.abort();
        },
      }),
      'ABORTED',
    );
    expect(error.message).toMatch(/aborted after \d+ file/);
    // Nothing was scheduled after the abort; the transfers in flight then were aborted, not finished.
    expect(state.started).toBeLessThanOrEqual(copied + 4);
    expect(state.aborted).toBeGreaterThan(0);
    expect(state.completed).toBe(copied);
    expect(state.started).toBe(state.completed + state.aborted);
    const left = await keys(storage.node('slowdisk:out'));
    expect(left).toHaveLength(copied);
    for (const key of left) expect((await storage.node('slowdisk:out', key).readBytes()).equals(big)).toBe(true);
  });

  it('an already aborted signal copies nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await rejectsWith(
      copyNode(storage.node('faulty:src'), storage.node('memory:out'), { signal: controller.signal }),
      'ABORTED',
    );
    expect(await storage.node('memory:out').exists()).toBe(false);
  });
});

describe('bad input', () => {
  it('is refused before anything is copied', async () => {
    const src = storage.node('faulty:src');
    await storage.node('memory:folder/x.txt').writeText('x');
    await storage.node('memory:file.txt').writeText('f');
    await rejectsWith(copyNode(storage.node('memory:missing'), storage.node('memory:y')), 'NOT_FOUND');
    await rejectsWith(copyNode(storage.node('memory:file.txt'), storage.node('memory:folder')), 'INVALID_INPUT');
    await rejectsWith(copyNode(storage.node('memory:folder'), storage.node('memory:file.txt')), 'INVALID_INPUT');
    await rejectsWith(copyNode(storage.node('memory:file.txt'), storage.node('memory:file.txt')), 'INVALID_INPUT');
    await rejectsWith(copyNode(storage.node('memory:folder'), storage.node('memory:folder/inner')), 'INVALID_INPUT');
    await rejectsWith(copyNode(src, storage.node('memory:y'), { skip: 'sometimes' as 'never' }), 'INVALID_INPUT');
    await rejectsWith(copyNode(src, storage.node('memory:y'), { concurrency: 0 }), 'INVALID_INPUT');
    await rejectsWith(copyNode(src, storage.node('memory:y'), { include: [''] }), 'INVALID_INPUT');
    expect(await storage.node('memory:y').exists()).toBe(false);
    expect(await storage.node('memory:folder/inner').exists()).toBe(false);
  });

  it('a tree is not copied into itself through another mount over the same disk', async () => {
    await storage.node('local:src/a.txt').writeText('a');
    await storage.configure([
      { name: 'inside', path: 'local:src/backup' },
      { name: 'nested', protocol: 'local', root: join(dir.path, 'local', 'src', 'deeper') },
      { name: 'beside', protocol: 'local', root: join(dir.path, 'local', 'srcs') },
    ]);
    await rejectsWith(copyNode(storage.node('local:src'), storage.node('inside:')), 'INVALID_INPUT');
    await rejectsWith(copyNode(storage.node('local:src'), storage.node('nested:x')), 'INVALID_INPUT');
    expect((await copyNode(storage.node('local:src'), storage.node('beside:'))).files).toBe(1);
    expect(await keys(storage.node('local:src'))).toEqual(['a.txt']); // nothing copied into the source
  });
});
