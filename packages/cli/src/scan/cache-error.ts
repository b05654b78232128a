import { UfsError } from '@org/core';

/** A failure of the scan cache's SQLite file (opening it, or any read or write), naming the file and the way out. */
export function cacheError(path: string, err: unknown, operation = 'open cache'): UfsError {
  if (err instanceof UfsError) return err;
  return new UfsError(
    'CONFIG_INVALID',
    `[ufs] scan cache "${path}": ${(err as Error).message} (use --cache PATH or --no-cache)`,
    { cause: err, context: { operation, path } },
  );
}

/**
 * The failures of one cache file once it is open, shared by the hash cache and the memory of records sent. A read or
 * write asked for by the walk (`run`) throws its failure; one made from a callback of the scan (`quietly`: a hash
 * remembered, a record found sent) is kept instead, so that no promise of the scan is rejected with nobody to hear
 * it: the cache is then used no more (files hashed again, records sent again) and the failure is thrown by the next
 * `run` or by `pending` (the flush at the end of the scan, the close).
 */
export class CacheFailures {
  /** The first failure; undefined while the cache works. */
  private first: UfsError | undefined;
  /** Whether `first` was thrown to a caller already. */
  private thrown = false;

  constructor(readonly path: string) {}

  get failed(): boolean {
    return this.first !== undefined;
  }

  /** Runs a read or write of the cache; its failure, or an earlier one, is thrown (CONFIG_INVALID, naming the file). */
  run<T>(operation: string, fn: () => T): T {
    if (this.first) {
      this.thrown = true;
      throw this.first;
    }
    try {
      return fn();
    } catch (err) {
      this.first = cacheError(this.path, err, operation);
      this.thrown = true;
      throw this.first;
    }
  }

  /** Runs a read or write of the cache; on a failure (now or earlier) `fallback` is returned and the failure kept. */
  quietly<T>(operation: string, fallback: T, fn: () => T): T {
    if (this.first) return fallback;
    try {
      return fn();
    } catch (err) {
      this.keep(operation, err);
      return fallback;
    }
  }

  /** Keeps a failure (the first one), to be thrown later. */
  keep(operation: string, err: unknown): void {
    this.first ??= cacheError(this.path, err, operation);
  }

  /** Throws a failure kept by `quietly` and not thrown yet. */
  throwPending(): void {
    if (this.first && !this.thrown) {
      this.thrown = true;
      throw this.first;
    }
  }
}
