// A tus PATCH cut off by its client mid-body: the server still records the bytes it received (its part written, the
// upload's offset advanced) when the client's HEAD comes to ask where to resume. That HEAD waits for the PATCH to
// settle and answers the new offset (not the one before, which led the client's resume PATCH into a 409), or, when
// the PATCH takes longer than the HEAD waits, 503 with Retry-After (as while an upload is being finished). A PATCH at
// an offset that is not (or no longer) the upload's is 409 with the upload's Upload-Offset, retryable: resuming from
// that offset completes the upload. Real HTTP against a real server over a real folder and SQLite file; the store is
// the real one, wrapped only to hold one call until the test lets it go (a deterministic interleaving).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SqliteStore, type MetadataStore } from '../src/index.js';
import { Gate, gated } from './helpers/gate.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { partialPatch, tusClient, type TusClient } from './helpers/tus.js';

const LENGTH = 100_000;
const SENT = 40_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tus: HEAD right after a PATCH cut off mid-body', () => {
  let server: TestServer;
  let dir: string;
  let sqlite: SqliteStore;
  let tus: TusClient;
  /** A PATCH's part recorded: the upload's offset advanced past its bytes (not the finish's marking). */
  const advance = new Gate();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-tus-head-cut-'));
    sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    const store = gated<MetadataStore>(sqlite, 'advanceUpload', advance, (_id, from, to) => from !== to);
    server = await startServer({ dir, store: { instance: store }, logLevels: [] });
    tus = tusClient(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
    await sqlite?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** An upload of LENGTH bytes whose first PATCH sent SENT bytes and was cut off; its recording held at the gate. */
  async function cutPatch(data: Buffer): Promise<string> {
    const { location } = await tus.create(sha256Of(data.toString()), data.length);
    const connection = await partialPatch(server, location!, data.length, data.subarray(0, SENT));
    advance.arm();
    // The bytes reach the server before the client goes away.
    await sleep(300);
    connection.close();
    await advance.reached;
    return location!;
  }

  it('the HEAD waits for the cut PATCH and answers its offset; resuming there completes the upload', async () => {
    const data = Buffer.alloc(LENGTH, 1);
    const location = await cutPatch(data);
    const head = tus.head(location);
    await sleep(500);
    advance.release();
    const answer = await head;
    expect(answer.status).toBe(200);
    expect(answer.offset).toBe(SENT);
    const resumed = await tus.patch(location, SENT, data.subarray(SENT));
    expect(resumed).toMatchObject({ status: 204, offset: LENGTH });
  }, 30_000);

  it('a HEAD on another replica (same store) waits for it too', async () => {
    const replica = await startServer({ dir, logLevels: [] });
    try {
      const data = Buffer.alloc(LENGTH, 5);
      const location = await cutPatch(data);
      const head = tusClient(replica.url, server.key).head(location);
      await sleep(500);
      advance.release();
      expect(await head).toMatchObject({ status: 200, offset: SENT });
    } finally {
      await replica.close();
    }
  }, 30_000);

  it('a PATCH that takes longer than the HEAD waits: 503 with Retry-After, then the new offset', async () => {
    const data = Buffer.alloc(LENGTH, 2);
    const location = await cutPatch(data);
    const started = Date.now();
    const busy = await fetch(`${server.url}${location}`, {
      method: 'HEAD',
      headers: { 'x-api-key': server.key, 'tus-resumable': '1.0.0' },
    });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.headers.get('upload-offset')).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    advance.release();
    let answer = await tus.head(location);
    for (let i = 0; i < 20 && answer.status === 503; i++) {
      await sleep(100);
      answer = await tus.head(location);
    }
    expect(answer).toMatchObject({ status: 200, offset: SENT });
  }, 30_000);

  it('a PATCH still receiving (its client silent, not cut off) does not hold a HEAD up', async () => {
    const data = Buffer.alloc(LENGTH, 6);
    const { location } = await tus.create(sha256Of(data.toString()), data.length);
    const connection = await partialPatch(server, location!, data.length, data.subarray(0, SENT));
    await sleep(300);
    const started = Date.now();
    expect(await tus.head(location!)).toMatchObject({ status: 200, offset: 0 });
    expect(Date.now() - started).toBeLessThan(1000);
    // Cut off now, it records what it received.
    connection.close();
    let offset = 0;
    for (let i = 0; i < 40 && offset === 0; i++) {
      offset = (await tus.head(location!)).offset;
      if (offset === 0) await sleep(50);
    }
    expect(offset).toBe(SENT);
  }, 30_000);

  it('a PATCH at a stale offset: 409 with the Upload-Offset to resume from, retryable', async () => {
    const data = Buffer.alloc(LENGTH, 3);
    const location = await cutPatch(data);
    advance.release();
    expect((await tus.head(location)).offset).toBe(SENT);
    const stale = await fetch(`${server.url}${location}`, {
      method: 'PATCH',
      headers: {
        'x-api-key': server.key,
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
      },
      body: new Uint8Array(data),
    });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('upload-offset')).toBe(String(SENT));
    expect(stale.headers.get('tus-resumable')).toBe('1.0.0');
    expect(await stale.json()).toEqual({
      detail: `[tus] Upload-Offset 0 does not match the upload's offset ${SENT}`,
      code: 'ALREADY_EXISTS',
      retryable: true,
    });
    expect(await tus.patch(location, SENT, data.subarray(SENT))).toMatchObject({ status: 204, offset: LENGTH });
  }, 30_000);

  it('a PATCH that lost to another one at the same offset: 409 with the winner’s offset, retryable', async () => {
    const data = Buffer.alloc(LENGTH, 4);
    const { location } = await tus.create(sha256Of(data.toString()), data.length);
    // The first PATCH's part is stored; its recording is held while a second PATCH at offset 0 records its own.
    advance.arm();
    const first = tus.patch(location!, 0, data.subarray(0, 30_000));
    await advance.reached;
    const second = await tus.patch(location!, 0, data.subarray(0, 20_000));
    expect(second).toMatchObject({ status: 204, offset: 20_000 });
    advance.release();
    const lost = await first;
    expect(lost.status).toBe(409);
    expect(lost.offset).toBe(20_000);
    expect(JSON.parse(lost.text)).toMatchObject({ code: 'ALREADY_EXISTS', retryable: true });
    expect(await tus.patch(location!, 20_000, data.subarray(20_000))).toMatchObject({ status: 204, offset: LENGTH });
  }, 30_000);
});
