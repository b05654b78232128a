import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { UfsError, sleep } from '@org/core';
import type { MetadataStore } from '../../store/store.js';

/**
 * How long the recording lease of a PATCH cut off by its client lasts; renewed every third of that while the PATCH
 * records, it outlives a replica that dies meanwhile by at most this.
 */
export const RECORDING_LEASE_MS = 10_000;
/** How long a HEAD waits for a PATCH of the same upload that is recording the bytes of its cut-off body (then 503). */
export const HEAD_WAIT_MS = 2_000;
const HEAD_POLL_MS = 50;

/** The lease a PATCH cut off by its client holds while it records the bytes it received. */
const recordingLease = (id: string) => `tus-recording:${id}`;

/** A recording lease this replica claimed (or is claiming) for a cut-off PATCH. */
interface Held {
  /** The upload's id. */
  upload: string;
  name: string;
  token: string;
  /** Whether the claim succeeded. */
  lease: Promise<boolean>;
  renew: NodeJS.Timeout;
}

/**
 * tus PATCHes cut off by their clients while they record the bytes they received (their part stored, the upload's
 * offset advanced): a HEAD of the upload that comes meanwhile (the client asking where to resume) waits for them
 * rather than answer the offset before those bytes, which led the client's resume PATCH into a 409. On this replica
 * through `here`, on the others through the upload's recording lease in the store.
 */
export class PatchRecordings {
  /** The PATCHes of this replica recording the bytes of a cut-off body, by upload. */
  private readonly here = new Map<string, Set<Promise<void>>>();
  /** The recording leases this replica holds, until their PATCHes are done (or releaseHeld gives them up). */
  private readonly held = new Set<Held>();
  /** Set by releaseHeld (the app closes): PATCHes cut off from then on claim no lease. */
  private closing = false;

  constructor(private readonly store: MetadataStore) {}

  /**
   * Runs a PATCH's `work` (receiving its body, storing its part, advancing the upload). Once its body is cut off (its
   * client went away, the body stalled, a drain closed the connection) the PATCH is recording what it received: it
   * is listed here and holds the upload's recording lease (renewed while it works) until `work` is done. A PATCH
   * still receiving holds nothing: a replica that dies then (or a client that stays silent) does not hold HEADs up.
   */
  async run<T>(id: string, body: unknown, work: () => Promise<T>): Promise<T> {
    if (!(body instanceof IncomingMessage)) return work();
    const name = recordingLease(id);
    const token = randomUUID();
    const claim = () => this.store.claimLease(name, token, new Date(Date.now() + RECORDING_LEASE_MS), new Date());
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    let held: Held | undefined;
    let cut = false;
    const onCut = () => {
      if (body.complete || cut) return;
      cut = true;
      let here = this.here.get(id);
      if (!here) this.here.set(id, (here = new Set()));
      here.add(settled);
      if (this.closing) return;
      const renew = setInterval(() => void claim().catch(() => undefined), RECORDING_LEASE_MS / 3);
      renew.unref();
      held = { upload: id, name, token, lease: claim().catch(() => false), renew };
      this.held.add(held);
    };
    if (body.destroyed) onCut();
    else body.once('close', onCut);
    try {
      return await work();
    } finally {
      body.off('close', onCut);
      if (held && this.held.delete(held)) await release(this.store, held);
      done();
      const here = this.here.get(id);
      here?.delete(settled);
      if (here?.size === 0) this.here.delete(id);
    }
  }

  /**
   * Gives up (best effort) the recording leases this replica holds, for an app that closes without waiting for the
   * PATCHes still recording (a drain that ran out, see shutdown.ts): their leases would make HEADs on a restarted
   * server (or another replica) answer 503 until they expire. Those PATCHes' work goes on without a lease, and PATCHes
   * cut off from now on claim none. Waits at most `budgetMs` for the store (a claim still in flight, then the
   * release): what it has not answered by then goes on unwaited (a lease claimed late is still released then, if the
   * store is open), and the uploads whose leases may be left are returned (each expires within RECORDING_LEASE_MS).
   */
  async releaseHeld(budgetMs: number): Promise<string[]> {
    this.closing = true;
    const left = new Set(this.held);
    this.held.clear();
    const releases = [...left].map((one) => release(this.store, one).then(() => void left.delete(one)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([Promise.all(releases), late]);
    clearTimeout(timer);
    return [...left].map((one) => one.upload);
  }

  /**
   * Waits (at most HEAD_WAIT_MS) until no PATCH of the upload is recording the bytes of its cut-off body, on this
   * replica or another; then UNAVAILABLE (503 with Retry-After, as while another request finishes the upload). A look
   * at the lease is a claim that has expired as it is made: taken only when the lease is free, and it leaves the lease
   * free for a PATCH that takes it meanwhile.
   */
  async settled(id: string): Promise<void> {
    const end = Date.now() + HEAD_WAIT_MS;
    const here = this.here.get(id);
    if (here?.size) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, HEAD_WAIT_MS)));
      await Promise.race([Promise.all([...here]), late]);
      clearTimeout(timer);
    }
    const name = recordingLease(id);
    for (;;) {
      const token = randomUUID();
      const now = new Date();
      if (await this.store.claimLease(name, token, new Date(now.getTime() - 1), now)) {
        await this.store.releaseLease(name, token).catch(() => undefined);
        return;
      }
      if (Date.now() >= end)
        throw new UfsError(
          'UNAVAILABLE',
          `[ufs] [tus] upload "${id}": a PATCH cut off a moment ago is still recording the bytes it received; retry`,
          { retryAfterMs: 1000, context: { reason: 'busy' } },
        );
      await sleep(HEAD_POLL_MS);
    }
  }
}

/** Stops renewing a recording lease and releases it when its claim succeeded; errors ignored (best effort). */
async function release(store: MetadataStore, held: Held): Promise<void> {
  clearInterval(held.renew);
  if (await held.lease) await store.releaseLease(held.name, held.token).catch(() => undefined);
}
