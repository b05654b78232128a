import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { UfsError } from '@org/core';
import type { HashAnswer, HashTask } from './hash-worker.js';

/** Default hashing threads: one per core, at most 8. */
export function defaultHashThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Files up to this size go to the workers in batches; larger ones alone. */
export const SMALL_FILE = 4 * 1024 * 1024;
/** A batch is sent when it holds this many files or bytes, or at the end of the current event-loop turn. */
const BATCH_FILES = 64;
const BATCH_BYTES = 16 * 1024 * 1024;

interface Waiting {
  path: string;
  resolve: (value: { sha256: string; size: number }) => void;
  reject: (err: unknown) => void;
}

function settle(item: Waiting, answer: HashAnswer): void {
  if (answer.ok) item.resolve({ sha256: answer.sha256, size: answer.size });
  else
    item.reject(
      new UfsError(answer.code, answer.message, {
        retryable: answer.retryable,
        context: { operation: 'hash', path: item.path },
      }),
    );
}

/**
 * Hashes files on a pool of worker threads, so every core hashes (SHA-256 in one thread is CPU-bound near
 * 1–2 GB/s). Small files travel in batches (one message per up to 64 files); large ones alone, streamed with two
 * reused buffers.
 */
export class HashPool {
  private started: Piscina<HashTask, HashAnswer | HashAnswer[]> | undefined;
  private batch: Waiting[] = [];
  private batchBytes = 0;
  private scheduled = false;

  /** `follow`: the scan follows symbolic links (else a link found in place of a file is not read through). */
  constructor(
    readonly threads = defaultHashThreads(),
    private readonly follow = false,
  ) {}

  /** The workers start with the first file to hash (a rescan answered from the cache needs none). */
  private get pool(): Piscina<HashTask, HashAnswer | HashAnswer[]> {
    this.started ??= new Piscina<HashTask, HashAnswer | HashAnswer[]>({
      filename: new URL('./hash-worker.js', import.meta.url).href,
      // One worker starts at once, the others when work queues up (starting them all up front gained nothing).
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: 1000,
      // A second task queued on each worker, so it never waits for the main thread between two batches.
      concurrentTasksPerWorker: 2,
    });
    return this.started;
  }

  /** `size`: what the walk saw; files up to SMALL_FILE are batched. */
  hash(path: string, size?: number): Promise<{ sha256: string; size: number }> {
    return new Promise((resolve, reject) => {
      const item = { path, resolve, reject };
      if (size === undefined || size > SMALL_FILE) {
        this.pool.run({ path, follow: this.follow }).then((answer) => settle(item, answer as HashAnswer), reject);
        return;
      }
      this.batch.push(item);
      this.batchBytes += size;
      if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.batch;
    if (items.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    this.pool.run({ paths: items.map((i) => i.path), follow: this.follow }).then(
      (answers) => (answers as HashAnswer[]).forEach((answer, i) => settle(items[i]!, answer)),
      (err: unknown) => items.forEach((item) => item.reject(err)),
    );
  }

  async close(): Promise<void> {
    await this.started?.destroy();
  }
}
