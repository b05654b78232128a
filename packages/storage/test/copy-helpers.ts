import { Readable } from 'node:stream';
import { UfsError, type StorageBackend, type WriteResult } from '@org/core';
import { asBuffers, interceptBackend, type BackendOperation } from '../src/index.js';

/** Counts the calls of each operation going through a real backend. */
export function counting(inner: StorageBackend) {
  const calls: Partial<Record<BackendOperation, number>> = {};
  const backend = interceptBackend(inner, (call, next) => {
    calls[call.op] = (calls[call.op] ?? 0) + 1;
    return next();
  });
  return { backend, calls };
}

/**
 * Reads of the keys `failOn` picks deliver `after` bytes and then fail (like a connection dropped mid-download);
 * `destroyed` counts source streams that were closed.
 */
export function failingReads(inner: StorageBackend, failOn: (key: string) => boolean, after = 1000) {
  const backend = interceptBackend(inner, async (call, next) => {
    const result = await next();
    if (call.op !== 'read' || !failOn(call.key)) return result;
    const stream = result as Readable;
    async function* broken(): AsyncGenerator<Buffer> {
      let sent = 0;
      for await (const chunk of asBuffers(stream)) {
        const room = after - sent;
        if (room <= 0) break;
        const piece = chunk.subarray(0, room);
        sent += piece.byteLength;
        yield piece;
      }
      stream.destroy();
      throw new UfsError('UNEXPECTED', `[ufs] [faulty] read "${call.key}": injected failure after ${sent} bytes`);
    }
    return Readable.from(broken(), { objectMode: false });
  });
  return backend;
}

/**
 * A backend whose writes are NOT atomic, made from a real one: the key is emptied, then every chunk is appended as it
 * arrives (as a plain PUT to an FTP or WebDAV server would do), so a failed write leaves a partial file. `keep`
 * decides which of rename/copy stay available.
 */
export function nonAtomic(inner: StorageBackend, keep: { rename: boolean; copy: boolean }): StorageBackend {
  const backend = interceptBackend(
    inner,
    async (call, next) => {
      if (call.op !== 'write') return next();
      const [key, source] = call.args as [string, AsyncIterable<Uint8Array>];
      await inner.write(key, Readable.from([]));
      let size = 0;
      for await (const chunk of asBuffers(source)) {
        await inner.append!(key, Readable.from([chunk]));
        size += chunk.byteLength;
      }
      return { key, size } satisfies WriteResult;
    },
    {
      capabilities: {
        ...inner.capabilities,
        atomicWrite: false,
        conditionalWrite: false,
        rename: keep.rename,
        copy: keep.copy,
      },
    },
  );
  const methods = backend as unknown as Record<string, unknown>;
  if (!keep.rename) delete methods.rename;
  if (!keep.copy) delete methods.copy;
  return backend;
}

/** The same backend without native rename (as S3): moves must copy, then delete. */
export function withoutRename(inner: StorageBackend): StorageBackend {
  const backend = interceptBackend(inner, (_call, next) => next(), {
    capabilities: { ...inner.capabilities, rename: false },
  });
  delete (backend as unknown as Record<string, unknown>).rename;
  return backend;
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage.rss() / 1024 / 1024;
}

/** Samples RSS every `everyMs` until stopped; `peak` is the highest seen. */
export function rssSampler(everyMs = 50) {
  const start = rssMiB();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB())), everyMs);
  return {
    start,
    stop(): { start: number; peak: number; growth: number } {
      clearInterval(timer);
      peak = Math.max(peak, rssMiB());
      return { start, peak, growth: peak - start };
    },
  };
}
