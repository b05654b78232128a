import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { applyLayers, UfsError, type StorageBackend } from '@org/core';
import {
  concurrencyLayer,
  loggingLayer,
  MemoryBackend,
  metricsLayer,
  readonlyLayer,
  replayableBytes,
  retryLayer,
  StorageManager,
  timeoutLayer,
  type StorageLogger,
} from '../src/index.js';
import { flaky, slow } from './fault.js';
import { readAll, rejectsWith } from './helpers.js';

const fast = { baseDelayMs: 1, maxDelayMs: 2 };
const memory = () => new MemoryBackend({ mountName: 'layers', versioning: false });
const put = (b: { write: MemoryBackend['write'] }, key: string, text: string) =>
  b.write(key, Readable.from([Buffer.from(text)]));

describe('retry layer', () => {
  it('retries a stat that fails twice, then returns its answer', async () => {
    const inner = memory();
    await put(inner, 'a.txt', 'abc');
    const { backend, calls } = flaky(inner, ['stat'], 2);
    const retries: number[] = [];
    const wrapped = retryLayer({ ...fast, onRetry: ({ attempt }) => retries.push(attempt) })(backend);
    expect(await wrapped.stat('a.txt')).toMatchObject({ size: 3 });
    expect(calls.stat).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after maxAttempts with the last error and the attempt count', async () => {
    const { backend, calls } = flaky(memory(), ['list'], 10);
    const err = await rejectsWith(retryLayer({ ...fast, maxAttempts: 3 })(backend).list(''), 'UNAVAILABLE');
    expect(calls.list).toBe(3);
    expect(err.context.attempts).toBe(3);
  });

  it('does not retry errors that are not retryable', async () => {
    const inner = memory();
    let reads = 0;
    const counting = {
      ...inner,
      capabilities: inner.capabilities,
      read: async (k: string) => (reads++, inner.read(k)),
    } as unknown as MemoryBackend;
    await rejectsWith(retryLayer(fast)(counting).read('missing'), 'NOT_FOUND');
    expect(reads).toBe(1);
  });

  it('retries writes from replayable sources, with the whole content each time', async () => {
    const inner = memory();
    const { backend, calls } = flaky(inner, ['write'], 2);
    const content = Buffer.alloc(200_000, 9);
    await retryLayer(fast)(backend).write('r.bin', replayableBytes(content));
    expect(calls.write).toBe(3);
    expect(await readAll(await inner.read('r.bin'))).toEqual(content);
  });

  it('never retries writes from one-shot streams, nor rename and append', async () => {
    const { backend, calls } = flaky(memory(), ['write', 'rename', 'append'], 1);
    const wrapped = retryLayer(fast)(backend);
    await rejectsWith(wrapped.write('s.bin', Readable.from([Buffer.from('once')])), 'UNAVAILABLE');
    await rejectsWith(wrapped.rename!('a', 'b'), 'UNAVAILABLE');
    await rejectsWith(wrapped.append!('a', Readable.from([Buffer.from('x')])), 'UNAVAILABLE');
    expect(calls).toMatchObject({ write: 1, rename: 1, append: 1 });
  });

  it('fires when chosen in a mount config, through node operations', async () => {
    const inner = memory();
    const { backend, calls } = flaky(inner, ['stat', 'read', 'write'], 2);
    const storage = new StorageManager();
    await storage.mountBackend('flaky', backend, { layers: [{ type: 'retry', baseDelayMs: 1, maxDelayMs: 2 }] });
    await storage.node('flaky:n.txt').writeText('survived');
    expect(await storage.node('flaky:n.txt').readText()).toBe('survived');
    expect(calls.write).toBe(3);
    expect(calls.read).toBe(3);
    await storage.dispose();
  });
});

describe('timeout layer', () => {
  it('fails slow operations with TIMEOUT and aborts them through their signal', async () => {
    const { backend, state } = slow(memory(), 3000, ['stat']);
    const started = Date.now();
    const err = await rejectsWith(timeoutLayer({ ms: 40 })(backend).stat('x'), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('timed out after 40 ms');
    expect(state.signals[0]?.aborted).toBe(true);
  });

  it('lets fast operations through, and takes per-operation limits', async () => {
    const { backend } = slow(memory(), 200, ['stat', 'list']);
    const wrapped = timeoutLayer({ ms: 50, operations: { list: 5000 } })(backend);
    expect((await wrapped.list('')).entries).toEqual([]);
    await rejectsWith(wrapped.stat('x'), 'TIMEOUT');
  });

  it('combined with retry, a timed-out call is retried', async () => {
    const inner = memory();
    let calls = 0;
    const firstSlow = timeoutLayer({ ms: 30 })(slow(inner, 100, ['stat']).backend);
    const counted = {
      ...firstSlow,
      stat: (...a: Parameters<typeof firstSlow.stat>) => (
        calls++,
        calls === 1 ? firstSlow.stat(...a) : inner.stat(...a)
      ),
    };
    expect(await retryLayer(fast)(counted).stat('')).toMatchObject({ isDir: true });
    expect(calls).toBe(2);
  });
});

describe('concurrency layer', () => {
  it('runs at most `limit` operations at once', async () => {
    const { backend, state } = slow(memory(), 150);
    const layer = concurrencyLayer(2);
    const wrapped = layer(backend);
    const all = Promise.all(Array.from({ length: 8 }, (_, i) => wrapped.stat(`k${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(layer.active).toBe(2);
    expect(layer.pending).toBe(6);
    await all;
    expect(state.maxInFlight).toBe(2);
  });

  it('is shared by every backend it wraps', async () => {
    const a = slow(memory(), 20);
    const b = slow(memory(), 20);
    const layer = concurrencyLayer(1);
    await Promise.all([layer(a.backend).stat('x'), layer(b.backend).stat('y'), layer(a.backend).stat('z')]);
    expect(a.state.maxInFlight + b.state.maxInFlight).toBe(2);
  });
});

describe('logging layer', () => {
  it('logs successes at the chosen level and failures as warnings, through an injected logger', async () => {
    const lines: [string, string, Record<string, unknown> | undefined][] = [];
    const logger: StorageLogger = {
      debug: (m, f) => lines.push(['debug', m, f]),
      info: (m, f) => lines.push(['info', m, f]),
      warn: (m, f) => lines.push(['warn', m, f]),
    };
    const wrapped = loggingLayer({ logger, level: 'info', label: 'photos' })(memory());
    await put(wrapped, 'a.txt', 'x');
    await wrapped.read('missing').catch(() => undefined);
    expect(lines[0]![0]).toBe('info');
    expect(lines[0]![1]).toMatch(/^\[ufs\] \[photos\] write "a.txt" ok in \d+ ms$/);
    expect(lines[0]![2]).toMatchObject({ backend: 'photos', operation: 'write', key: 'a.txt', ok: true });
    expect(lines[1]![0]).toBe('warn');
    expect(lines[1]![1]).toContain('read "missing" failed');
    expect(lines[1]![2]).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('uses the manager logger for logging layers in config', async () => {
    const messages: string[] = [];
    const logger: StorageLogger = {
      debug: (m) => messages.push(m),
      info: (m) => messages.push(m),
      warn: (m) => messages.push(m),
    };
    const storage = new StorageManager({ logger });
    await storage.configure([{ name: 'logged', protocol: 'memory', layers: [{ type: 'logging' }] }]);
    await storage.node('logged:f.txt').writeText('x');
    expect(messages.some((m) => m.startsWith('[ufs] [logged] write "f.txt" ok'))).toBe(true);
    await storage.dispose();
  });
});

describe('metrics layer', () => {
  it('counts operations, errors and bytes read and written', async () => {
    const metrics = metricsLayer();
    const wrapped = metrics(memory());
    await put(wrapped, 'a.txt', 'hello');
    await wrapped.write('b.txt', replayableBytes(Buffer.alloc(1000)));
    expect((await readAll(await wrapped.read('a.txt'))).toString()).toBe('hello');
    await readAll(await wrapped.read('b.txt', { start: 0, end: 99 }));
    await wrapped.stat('a.txt');
    await wrapped.read('missing').catch(() => undefined);
    const snapshot = metrics.snapshot();
    expect(snapshot).toMatchObject({ ops: 6, errors: 1, bytesRead: 105, bytesWritten: 1005 });
    expect(snapshot.byOperation).toEqual({
      write: { calls: 2, errors: 0 },
      read: { calls: 3, errors: 1 },
      stat: { calls: 1, errors: 0 },
    });
    metrics.reset();
    expect(metrics.snapshot().ops).toBe(0);
  });

  it('a reader stopping early is not counted as an error', async () => {
    const metrics = metricsLayer();
    const wrapped = metrics(memory());
    await wrapped.write('big', replayableBytes(Buffer.alloc(1024 * 1024)));
    for await (const chunk of await wrapped.read('big')) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(metrics.snapshot().errors).toBe(0);
  });

  it('is readable per mount from the manager', async () => {
    const storage = new StorageManager();
    await storage.configure([
      { name: 'm', protocol: 'memory', layers: [{ type: 'metrics' }] },
      { name: 'none', protocol: 'memory' },
    ]);
    await storage.node('m:x.txt').writeText('12345');
    expect(await storage.node('m:x.txt').readText()).toBe('12345');
    expect(storage.metrics('m')).toMatchObject({ bytesWritten: 5, bytesRead: 5 });
    expect(storage.metrics('none')).toBeUndefined();
    await storage.dispose();
  });
});

describe('read-only layer', () => {
  it('removes write capabilities and refuses writes', async () => {
    const inner = memory();
    await put(inner, 'a.txt', 'a');
    const ro = readonlyLayer('archive')(inner);
    expect(ro.capabilities).toMatchObject({
      read: true,
      list: true,
      write: false,
      delete: false,
      copy: false,
      rename: false,
      append: false,
    });
    expect(ro.copy).toBeUndefined();
    expect(ro.rename).toBeUndefined();
    expect(ro.append).toBeUndefined();
    expect(ro.setMetadata).toBeUndefined();
    expect((await readAll(await ro.read('a.txt'))).toString()).toBe('a');
    const err = await rejectsWith(put(ro, 'b.txt', 'b'), 'PERMISSION_DENIED');
    expect(err.message).toContain('[memory] write "archive:b.txt"');
    await rejectsWith(ro.delete('a.txt'), 'PERMISSION_DENIED');
    await rejectsWith(ro.mkdir('d'), 'PERMISSION_DENIED');
    expect(await inner.stat('b.txt')).toBeNull();
  });
});

describe('layers keep capabilities honest', () => {
  it('optional operations exist after layering exactly when they existed before', () => {
    const plain = memory();
    const versioned = new MemoryBackend({ mountName: 'v', versioning: true });
    const all = [retryLayer(), timeoutLayer({ ms: 1000 }), concurrencyLayer(2), loggingLayer(), metricsLayer()];
    for (const inner of [plain, versioned] as StorageBackend[]) {
      const wrapped = applyLayers(inner, all);
      expect(wrapped.capabilities).toEqual(inner.capabilities);
      for (const op of [
        'copy',
        'rename',
        'append',
        'presignGet',
        'presignPut',
        'versions',
        'setMetadata',
        'localPath',
        'publicUrl',
      ] as const) {
        expect([op, typeof wrapped[op]]).toEqual([op, typeof inner[op] === 'function' ? 'function' : 'undefined']);
      }
    }
  });

  it('turn synchronous throws of a backend into rejections', async () => {
    const inner = memory();
    const broken = {
      ...inner,
      capabilities: inner.capabilities,
      stat: () => {
        throw new UfsError('UNAVAILABLE', 'sync throw');
      },
    } as unknown as MemoryBackend;
    const wrapped = retryLayer({ ...fast, maxAttempts: 2 })(broken);
    await rejectsWith(wrapped.stat('x'), 'UNAVAILABLE');
  });
});
