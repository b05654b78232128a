import type Database from 'better-sqlite3';

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the embedded store: writes issued in the same event-loop turn run in ONE IMMEDIATE transaction,
 * each inside its own savepoint (a failing write rolls back alone and rejects only its caller). Every caller's
 * promise settles after the shared COMMIT, so a write is durable when it resolves. Fewer commits mean fewer WAL
 * frames and checkpoints: with many concurrent requests this is most of the store's cost.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const results: { ok: boolean; value: unknown }[] = [];
    const each = this.db.transaction((item: Pending) => item.fn());
    const all = this.db.transaction(() => {
      for (const item of batch) {
        try {
          results.push({ ok: true, value: each(item) });
        } catch (err) {
          results.push({ ok: false, value: err });
        }
      }
    });
    try {
      all.immediate();
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const result = results[i]!;
      if (result.ok) item.resolve(result.value);
      else item.reject(result.value);
    });
  }
}
