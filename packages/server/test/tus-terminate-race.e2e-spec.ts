// A tus upload terminated (DELETE /tus/{id}) while a PATCH of it is under way, from another connection: whichever
// step of the PATCH the termination lands in, the PATCH ends with 404 (the upload is gone), never 500, and nothing of
// the upload is left in the content mount (no part written into a folder the termination removed, no orphan part).
// Real HTTP against a real server over a real folder and SQLite file; the backend and the store are the real ones,
// wrapped only to hold one call until the test lets it go (a deterministic interleaving).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { openContentMount, SqliteStore, type MetadataStore } from '../src/index.js';
import { Gate, gated } from './helpers/gate.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { streamingPatch, tusClient, type TusClient } from './helpers/tus.js';

describe('a tus upload terminated while a PATCH of it is under way', () => {
  let server: TestServer;
  let dir: string;
  let sqlite: SqliteStore;
  let tus: TusClient;
  let dispose: () => Promise<void>;
  const partWrite = new Gate();
  const sessionDelete = new Gate();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-tus-race-'));
    sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    const mount = await openContentMount(join(dir, 'content'));
    dispose = () => mount.dispose();
    const isPart = (key: unknown) => typeof key === 'string' && key.startsWith('_tus/');
    const content = gated<StorageBackend>(mount.backend, 'write', partWrite, isPart);
    const store = gated<MetadataStore>(sqlite, 'deleteUpload', sessionDelete, () => true);
    server = await startServer({ dir, content, store: { instance: store }, logLevels: [] });
    tus = tusClient(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
    await sqlite?.close();
    await dispose?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** What the content mount holds of the upload `location` (its folder's entries, temporary files included). */
  const leftOf = async (location: string): Promise<string[] | 'no folder'> =>
    readdir(join(dir, 'content', '_tus', location.slice('/tus/'.length))).catch(() => 'no folder' as const);

  const expectGone = (answer: { status: number; text: string }, location: string) => {
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toEqual({
      detail: `[tus] no upload "${location.slice('/tus/'.length)}" (terminated, expired or failed verification)`,
      code: 'NOT_FOUND',
      retryable: false,
    });
  };

  it('terminated while the PATCH body streams into its part: the PATCH answers 404 and nothing is left', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const { location } = await tus.create(sha256Of(data), data.length);
    const patch = streamingPatch(server.url, location!, server.key, data.length);
    await patch.send(data.subarray(0, 1024 * 1024));
    // The part is being written (its temporary file is in the upload's folder) when the upload is terminated.
    const writing = async () => {
      const left = await leftOf(location!);
      return Array.isArray(left) && left.length > 0;
    };
    for (let i = 0; i < 200 && !(await writing()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await leftOf(location!)).toEqual([expect.stringMatching(/\.tmp$/)]);
    expect(await tus.terminate(location!)).toBe(204);
    await patch.send(data.subarray(1024 * 1024));
    patch.end();
    expectGone(await patch.answer, location!);
    expect(await leftOf(location!)).toBe('no folder');
    expect((await tus.head(location!)).status).toBe(404);
  });

  it('terminated after the PATCH found the upload, before its part is written: 404, no folder made again', async () => {
    const data = randomBytes(1000);
    const { location } = await tus.create(sha256Of(data), data.length);
    partWrite.arm();
    const patch = tus.patch(location!, 0, data);
    await partWrite.reached;
    expect(await tus.terminate(location!)).toBe(204);
    expect(await leftOf(location!)).toBe('no folder');
    partWrite.release();
    const answer = await patch;
    expectGone(answer, location!);
    expect(await leftOf(location!)).toBe('no folder');
    expect((await tus.head(location!)).status).toBe(404);
  });

  it('a PATCH stored while the termination removes the parts: its part goes with the upload (no orphan)', async () => {
    const data = randomBytes(1000);
    const { location } = await tus.create(sha256Of(data), data.length);
    // The termination has removed the upload's parts (none yet) and is about to remove its session.
    sessionDelete.arm();
    const terminated = tus.terminate(location!);
    await sessionDelete.reached;
    // A PATCH stores a part and advances the upload meanwhile (the session is still there).
    const patched = await tus.patch(location!, 0, data.subarray(0, 400));
    expect(patched).toMatchObject({ status: 204, offset: 400 });
    sessionDelete.release();
    expect(await terminated).toBe(204);
    expect(await leftOf(location!)).toBe('no folder');
    expect((await tus.head(location!)).status).toBe(404);
  });

  it('a PATCH that starts after the termination: 404, nothing written', async () => {
    const data = randomBytes(1000);
    const { location } = await tus.create(sha256Of(data), data.length);
    expect(await tus.terminate(location!)).toBe(204);
    expectGone(await tus.patch(location!, 0, data), location!);
    expect(await leftOf(location!)).toBe('no folder');
  });
});
