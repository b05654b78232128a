import type { StorageBackend } from '@org/core';

export interface ObservedBackend {
  /** The backend to hand to the server (`startServer({ content })`). */
  backend: StorageBackend;
  /** Every key `read` was called with, in order. */
  reads: string[];
  /** Resolves with the key of the next `write` whose key starts with `prefix` (called when the write starts). */
  nextWrite(prefix: string): Promise<string>;
}

/**
 * Wraps a real backend (not a mock: every call goes through to it) to see what the server asks of it: which keys it
 * reads, and when a write begins.
 */
export function observeBackend(inner: StorageBackend): ObservedBackend {
  const reads: string[] = [];
  const waiting: Array<{ prefix: string; resolve: (key: string) => void }> = [];
  const backend = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'read') {
        return (key: string, ...rest: unknown[]) => {
          reads.push(key);
          return (target.read as (...args: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      if (prop === 'write') {
        return (key: string, ...rest: unknown[]) => {
          for (let i = waiting.length - 1; i >= 0; i--) {
            const w = waiting[i]!;
            if (!key.startsWith(w.prefix)) continue;
            waiting.splice(i, 1);
            w.resolve(key);
          }
          return (target.write as (...args: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    backend,
    reads,
    nextWrite: (prefix) => new Promise((resolve) => waiting.push({ prefix, resolve })),
  };
}
