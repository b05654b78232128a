import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { UfsError } from '@org/core';
import type { HashAnswer, HashTask } from './hash-worker.js';

/** Default hashing threads: one per core, at most 8. */
export function defaultHashThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * Hashes files on a pool of worker threads, so every core hashes (SHA-256 in one thread is CPU-bound near
 * 1–2 GB/s). Each task streams its file through the core `hashFile` with two reused buffers.
 */
export class HashPool {
  private readonly pool: Piscina<HashTask, HashAnswer>;

  constructor(readonly threads = defaultHashThreads()) {
    this.pool = new Piscina<HashTask, HashAnswer>({
      filename: new URL('./hash-worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 1000,
    });
  }

  async hash(path: string): Promise<{ sha256: string; size: number }> {
    const answer = await this.pool.run({ path });
    if (!answer.ok)
      throw new UfsError(answer.code, answer.message, {
        retryable: answer.retryable,
        context: { operation: 'hash', path },
      });
    return { sha256: answer.sha256, size: answer.size };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
