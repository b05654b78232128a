import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { isUfsError, toUfsError } from '@org/core';
import { Gauge } from 'prom-client';
import { ContentStore, PROBE_PREFIX, TEMP_PREFIX } from '../content/content-store.js';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import { CheckTimeout, JoinedChecks } from './joined-checks.js';
import { failedCheck, type ReadinessCheck, type ReadinessReport } from './readiness-report.js';

type CheckName = 'database' | 'storage';

const PROBE_BODY = Buffer.from('ufs readiness probe\n');

/**
 * Readiness of this replica (`GET /health/ready`): do its checks pass now? The metadata store takes one real write
 * (`probeWrite`), and the content mount either what an upload does (`readinessContentProbe`: a write under `_tmp/`
 * moved into a new folder at the mount root, then removed) or a listing of one entry (reads only: it does not show a
 * mount that refuses new objects).
 *
 * A result is reused for `readinessCacheMs`, and requests arriving while a round runs share it: however many load
 * balancers ask, a replica probes once per interval. A check that has not answered within `readinessTimeoutMs` fails;
 * its probe is not started again while it still runs. The first round runs at start. Changes of state are logged with
 * the full error (clients get a code and a short reason only).
 */
@Injectable()
export class ReadinessService implements OnApplicationBootstrap {
  private readonly log = new Logger('ufs.readiness');
  private last: { report: ReadinessReport; at: number } | undefined;
  private round: Promise<ReadinessReport> | undefined;
  private readonly checks = new JoinedChecks<CheckName>();
  /** What was last logged per check (`ok`, or the failure's reason), so that only changes are logged. */
  private readonly logged = new Map<CheckName, string>();

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {
    // Scraped from the readiness result (a scrape runs a round only when the cached one is stale).
    const ready: Gauge = new Gauge({
      name: 'ufs_ready',
      help: 'Readiness of this replica (1 ready: every check passed; 0 not), as GET /health/ready answers',
      registers: [metrics.registry],
      collect: async () => ready.set((await this.check()).status === 'ready' ? 1 : 0),
    });
    const checks: Gauge<'check'> = new Gauge({
      name: 'ufs_readiness_check',
      help: 'Readiness checks of this replica by check (database, storage): 1 ok, 0 failed',
      labelNames: ['check'] as const,
      registers: [metrics.registry],
      collect: async () => {
        const report = await this.check();
        for (const check of ['database', 'storage'] as const) {
          checks.labels(check).set(report[check].status === 'ok' ? 1 : 0);
        }
      },
    });
  }

  /**
   * A first round at start: what it loads on first use (a cloud SDK takes a second or more) is loaded before the
   * first load balancer asks, and its answer is then at hand.
   */
  onApplicationBootstrap(): void {
    void this.check();
  }

  /** The current readiness: the cached result while fresh, else the round in flight, else a new round. */
  check(): Promise<ReadinessReport> {
    const last = this.last;
    if (last && performance.now() - last.at < this.config.readinessCacheMs) return Promise.resolve(last.report);
    if (!this.round) {
      const round = this.runRound();
      this.round = round;
      void round.finally(() => {
        if (this.round === round) this.round = undefined;
      });
    }
    return this.round;
  }

  private async runRound(): Promise<ReadinessReport> {
    const probeContent = this.config.readinessContentProbe;
    const [database, storage] = await Promise.all([
      this.checkOne('database', 'write', this.store.kind, () => this.store.probeWrite()),
      this.checkOne('storage', probeContent ? 'write' : 'list', this.content.backend.protocol, () =>
        probeContent ? this.probeContent() : this.listContent(),
      ),
    ]);
    const report: ReadinessReport = {
      status: database.status === 'ok' && storage.status === 'ok' ? 'ready' : 'not_ready',
      database,
      storage,
      checked_at: new Date().toISOString(),
    };
    this.last = { report, at: performance.now() };
    return report;
  }

  /**
   * Runs one check's probe (or joins the one still running) under the timeout, and counts its result in
   * `ufs_readiness_probes_total` (a timeout as `failed`).
   */
  private async checkOne(
    name: CheckName,
    probe: 'write' | 'list',
    type: string,
    start: () => Promise<void>,
  ): Promise<ReadinessCheck> {
    const timeoutMs = this.config.readinessTimeoutMs;
    try {
      await this.checks.run(name, start, timeoutMs);
      this.metrics.readinessProbes.labels(name, 'ok').inc();
      this.note(name, 'ok', () => `readiness: ${name} ok again`);
      return { status: 'ok', type, probe };
    } catch (err) {
      // Counted here, once per round and check: a probe that hangs never settles, and its timeout is a failure.
      this.metrics.readinessProbes.labels(name, 'failed').inc();
      if (err instanceof CheckTimeout) {
        const reason = `${probe} gave no answer within ${timeoutMs} ms`;
        this.note(name, reason, () => `readiness: ${name} not ready: ${reason}`);
        return { status: 'failed', type, probe, code: 'TIMEOUT', reason };
      }
      const error = toUfsError(err);
      const operation = error.context.operation;
      const failed = failedCheck(error, operation === 'delete' || operation === 'list' ? operation : probe);
      this.note(name, failed.reason!, () => `readiness: ${name} not ready: ${failed.reason}: ${error.message}`);
      return { status: 'failed', type, probe, ...failed };
    }
  }

  /** Logs a check's state when it changed (a first `ok` is not news). */
  private note(name: CheckName, state: string, message: () => string): void {
    const before = this.logged.get(name);
    if (before === state) return;
    this.logged.set(name, state);
    if (state !== 'ok') this.log.warn(message());
    else if (before !== undefined) this.log.log(message());
  }

  /**
   * What an upload does, on a fresh folder each round: a write under `_tmp/`, then a move into a folder at the mount
   * root made for this round (`_probe-<replicaId>-<nonce>/probe`; an upload places content in a new `aa/` folder),
   * then everything it made is removed. A top folder that takes no new folder fails it, as it fails uploads.
   */
  private async probeContent(): Promise<void> {
    const name = `${PROBE_PREFIX}-${this.config.replicaId}-${randomBytes(4).toString('hex')}`;
    const temp = `${TEMP_PREFIX}/${name}`;
    const folder = name;
    const placed = `${folder}/probe`;
    const backend = this.content.backend;
    try {
      await backend.write(temp, Readable.from([PROBE_BODY]), { size: PROBE_BODY.length });
      if (backend.rename && backend.capabilities.rename) await backend.rename(temp, placed);
      else if (backend.copy && backend.capabilities.copy) await backend.copy(temp, placed);
      else await backend.write(placed, await backend.read(temp), { size: PROBE_BODY.length });
    } catch (err) {
      await this.removeProbe([temp, placed], folder).catch(() => undefined); // never hides the failure
      throw err;
    }
    await this.removeProbe([temp, placed], folder);
  }

  /**
   * Deletes the probe's objects, then its folder on a mount with real folders (what was never made is fine). A failure
   * is the probe's (`delete failed`): a mount that cannot delete would fill up with probes.
   */
  private async removeProbe(objects: string[], folder: string): Promise<void> {
    const backend = this.content.backend;
    for (const key of backend.capabilities.directories ? [...objects, folder] : objects) {
      try {
        await backend.delete(key);
      } catch (err) {
        if (!isUfsError(err, 'NOT_FOUND')) throw toUfsError(err, { operation: 'delete' });
      }
    }
  }

  private async listContent(): Promise<void> {
    try {
      await this.content.backend.list('', { pageSize: 1 });
    } catch (err) {
      throw toUfsError(err, { operation: 'list' });
    }
  }
}
