// The close releases the tus recording leases of PATCHes the drain left under way (releaseHeld). It waited for each
// claim still in flight without a limit: a store that never answered the claim held app.close() (and the process) for
// ever. It now waits at most the shutdown timeout's budget for them (leftoverBudget: the settle share of the timeout)
// and logs the uploads whose leases may be left; a claim the store answers later is still released. A real server on
// a real SQLite file; the store's claim of the recording lease (and the PATCH's offset advance, so that its handler
// still holds the lease when the app closes) held by a gate until the test lets them go.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SqliteStore, type MetadataStore } from '../src/index.js';
import { Gate, gated } from './helpers/gate.js';
import { sha256Of } from './helpers/records.js';
import { startServer } from './helpers/server.js';
import { partialPatch, tusClient } from './helpers/tus.js';

const LENGTH = 1_000_000;

describe('shutdown: releasing the tus recording leases is bounded by the shutdown timeout', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  it('a claim the store never answers: the close ends, naming the upload; the late claim is released after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-release-held-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    cleanups.push(() => sqlite.close());
    const claim = new Gate();
    const advance = new Gate();
    cleanups.push(async () => {
      claim.release();
      advance.release();
    });
    const store = gated<MetadataStore>(
      gated<MetadataStore>(sqlite, 'advanceUpload', advance, (_id, from, to) => from !== to),
      'claimLease',
      claim,
      (name) => String(name).startsWith('tus-recording:'),
    );
    const server = await startServer({
      dir,
      store: { instance: store },
      shutdownTimeoutMs: 1000,
      shutdownSignals: false,
      logLevels: ['warn'],
    });
    cleanups.push(() => server.store.close());
    const data = Buffer.alloc(LENGTH, 9);
    const { location } = await tusClient(server.url, server.key).create(sha256Of(data.toString()), LENGTH);
    const id = location!.split('/').pop()!;
    claim.arm();
    advance.arm();
    // The client goes away after half of the body: the PATCH claims the recording lease (held) and records its part.
    const connection = await partialPatch(server, location!, LENGTH, data.subarray(0, LENGTH / 2));
    connection.close();
    await claim.reached;
    await advance.reached;

    const warnings: string[] = [];
    const warn = Logger.prototype.warn;
    Logger.prototype.warn = function (this: Logger, message: unknown) {
      warnings.push(String(message));
    } as typeof Logger.prototype.warn;
    try {
      await server.app.close();
    } finally {
      Logger.prototype.warn = warn;
    }
    expect(warnings).toContainEqual(
      `1 tus recording lease(s) not released: the store answered no claim or release within 500 ms of the close ` +
        `(upload(s) ${id}); a HEAD of those uploads may answer 503 until the lease expires (10 s)`,
    );

    // The store answers at last: the lease it grants is released, and the PATCH records its bytes.
    claim.release();
    advance.release();
    const free = async () => {
      const now = new Date();
      const taken = await sqlite.claimLease(`tus-recording:${id}`, 'test', new Date(now.getTime() - 1), now);
      return taken && ((await sqlite.getUpload(id))?.offset ?? 0) > 0;
    };
    while (!(await free())) await new Promise((resolve) => setTimeout(resolve, 20));
  }, 60_000);
});
