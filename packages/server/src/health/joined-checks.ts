/** A check had no answer within its deadline (the check itself goes on; later calls join it). */
export class CheckTimeout extends Error {}

/**
 * Checks that run at most once at a time per name, each call waiting at most `timeoutMs`: a call while a check of
 * that name still runs joins it instead of starting another, so a hung store or mount holds one request of ours, not
 * one per caller. Shared by `GET /health` and the readiness rounds.
 */
export class JoinedChecks<Name extends string> {
  private readonly running = new Map<Name, Promise<void>>();

  /** Resolves when the check succeeds, rejects with its error, or with CheckTimeout after `timeoutMs`. */
  async run(name: Name, work: () => Promise<unknown>, timeoutMs: number): Promise<void> {
    let running = this.running.get(name);
    if (!running) {
      running = Promise.resolve()
        .then(work)
        .then(() => undefined)
        .finally(() => this.running.delete(name));
      this.running.set(name, running);
      running.catch(() => undefined); // a check that outlives its deadline must not go unhandled
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs).unref();
    });
    try {
      await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
