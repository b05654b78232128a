/**
 * A counting semaphore: `acquire()` waits for a free slot; `release()` frees one. The tasks waiting for a slot are
 * counted (`waiting`, `maxWaiting`), and a producer can hold back until few enough wait (`whenWaitingBelow`): that is
 * how the scan keeps its queue of uploads bounded while the walk goes on.
 */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  /** Producers waiting for the queue to shrink: each with its limit. */
  private readonly producers: Array<{ limit: number; resume: () => void }> = [];
  /** Most tasks that waited for a slot at once. */
  maxWaiting = 0;

  constructor(private readonly slots: number) {}

  /** Tasks waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  async acquire(): Promise<void> {
    if (this.active < this.slots) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => {
      this.queue.push(resolve);
      this.maxWaiting = Math.max(this.maxWaiting, this.queue.length);
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
    if (this.producers.length > 0) this.resumeProducers();
  }

  /** Resolves once fewer than `limit` tasks wait for a slot (at once when they already do). */
  whenWaitingBelow(limit: number): Promise<void> {
    if (this.queue.length < limit) return Promise.resolve();
    return new Promise<void>((resume) => this.producers.push({ limit, resume }));
  }

  private resumeProducers(): void {
    for (let i = this.producers.length - 1; i >= 0; i--) {
      const producer = this.producers[i]!;
      if (this.queue.length < producer.limit) {
        this.producers.splice(i, 1);
        producer.resume();
      }
    }
  }

  /** Runs `task` in a slot (waiting for one first). */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
