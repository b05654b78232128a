// An abort (Ctrl-C of `ufs cp`) that lands once a streamed copy has opened its source and before the write reads it:
// the source stream errors with AbortError while nothing consumes it yet. The copy must reject with ABORTED, not
// crash the process with an unhandled 'error' event (jest fails the test that is running when one is emitted).
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sleep, UfsError, type StorageBackend } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { interceptBackend, LocalBackend, MemoryBackend, StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let controller: AbortController;
/** Source streams handed to the copy. */
let opened: Readable[];
/** Whether the destination's write aborts the copy. */
let abortOnWrite: boolean;

/** A real local folder as the source; `read` decides how the abort meets the stream it opens. */
function source(
  read: (next: () => Promise<unknown>, signal: AbortSignal, key: string) => Promise<unknown>,
): StorageBackend {
  const local = new LocalBackend({ root: join(dir.path, 'src'), mountName: 'src' });
  return interceptBackend(local, async (call, next) => {
    if (call.op !== 'read') return next();
    const { signal } = call.args[1] as { signal: AbortSignal };
    const stream = (await read(next, signal, call.key)) as Readable;
    opened.push(stream);
    return stream;
  });
}

/**
 * Real local reads, with the abort landing while the file is being opened: the local backend returns a stream made
 * with an aborted signal, which emits its AbortError on the next tick.
 */
const abortWhileOpening = () =>
  source((next) => {
    const reading = next();
    controller.abort();
    return reading;
  });

/**
 * A download-like stream (as the GCS backend's): it fails with AbortError when the signal aborts, and has no error
 * listener of its own. The destination's write aborts the copy before it reads a byte.
 */
const failsOnAbort = () =>
  source(async (next, signal) => {
    const inner = (await next()) as Readable;
    const out = new PassThrough();
    inner.pipe(out);
    signal.addEventListener(
      'abort',
      () => {
        inner.destroy();
        out.destroy(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      },
      { once: true },
    );
    return out;
  });

beforeEach(async () => {
  dir = await tempDir('ufs-copy-abort-open-');
  storage = new StorageManager();
  controller = new AbortController();
  opened = [];
  abortOnWrite = true;
  await storage.configure([{ name: 'local', protocol: 'local', root: join(dir.path, 'src') }]);
  await storage.node('local:tree/a.bin').writeBytes(Buffer.alloc(200_000, 1));
  await storage.node('local:tree/b.bin').writeBytes(Buffer.alloc(1000, 2));
  // The destination's write aborts the copy, then waits (the source's AbortError is emitted meanwhile), then goes on
  // as a write does with an aborted signal (or reads its source, when there was no abort).
  await storage.mountBackend(
    'dest',
    interceptBackend(new MemoryBackend({ mountName: 'dest' }), async (call, next) => {
      if (call.op !== 'write') return next();
      if (abortOnWrite) controller.abort();
      await sleep(20);
      return next();
    }),
  );
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('an abort between opening the source and reading it', () => {
  it.each([
    ['the local backend, aborted while opening the file', abortWhileOpening],
    ['a stream that fails on abort, before the write reads it', failsOnAbort],
  ])('rejects with ABORTED, no unhandled error, nothing written: %s', async (_, backend) => {
    await storage.mountBackend('src', backend());
    for (const from of ['src:tree/a.bin', 'src:tree']) {
      const error = await rejectsWith(
        copyNode(storage.node(from), storage.node('dest:out'), { concurrency: 1, signal: controller.signal }),
        'ABORTED',
      );
      expect(error.message).toMatch(/aborted after 0 file/);
      expect(opened.length).toBeGreaterThan(0);
      // The stream errored (the case under test), and was closed.
      await sleep(20);
      for (const stream of opened) expect(stream.destroyed).toBe(true);
      expect(opened.some((stream) => (stream.errored as Error | null)?.name === 'AbortError')).toBe(true);
      expect(await storage.node('dest:out').exists()).toBe(false);
      controller = new AbortController();
      opened = [];
    }
  });
});

describe('a source stream that fails before the write reads it', () => {
  it("is that file's failure, reported with its error; the others are copied", async () => {
    abortOnWrite = false;
    const failing = source(async (next, _signal, key) => {
      const inner = (await next()) as Readable;
      if (!key.endsWith('a.bin')) return inner;
      // A download dropped on the next tick, before the write reads it: nobody listens to the stream yet.
      const out = new PassThrough();
      inner.pipe(out);
      process.nextTick(() => {
        inner.destroy();
        out.destroy(new UfsError('UNAVAILABLE', '[ufs] [test] read: connection reset before the first byte'));
      });
      return out;
    });
    await storage.mountBackend('src', failing);
    const summary = await copyNode(storage.node('src:tree'), storage.node('dest:out'), { concurrency: 1 });
    expect(summary.files).toBe(1);
    expect(await storage.node('dest:out/b.bin').size()).toBe(1000);
    expect(await storage.node('dest:out/a.bin').exists()).toBe(false);
    expect(summary.errors).toHaveLength(1);
    expect(summary.errors[0]!.path).toBe('src:tree/a.bin');
    expect(summary.errors[0]!.error.code).toBe('UNAVAILABLE');
    expect(summary.errors[0]!.error.message).toMatch(/connection reset before the first byte/);
  });
});
