// A tus upload terminated (DELETE /tus/{id}) while its last PATCH is finishing it (verifying the bytes, placing the
// content, inserting its record, marking the upload complete): the finish wins. The DELETE answers 503 with
// Retry-After (the upload is being finished), never 204 while the content lands anyway; the PATCH answers 204 with
// the content held, never 500; a DELETE after it removes only the marker of the finished upload (the content stays).
// A termination under way when the last byte arrives wins instead: that PATCH answers 503 (busy) or 404, and nothing
// is stored. Real HTTP against a real server over a real folder and SQLite file; the backend and the store are the
// real ones, wrapped only to hold one call until the test lets it go (a deterministic interleaving).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey, type StorageBackend } from '@org/core';
import { openContentMount, SqliteStore, type MetadataStore } from '../src/index.js';
import { Gate, gated } from './helpers/gate.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { streamingPatch, tusClient, type TusClient } from './helpers/tus.js';

const ROUNDS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a tus upload terminated while its last PATCH finishes it', () => {
  let server: TestServer;
  let dir: string;
  let sqlite: SqliteStore;
  let tus: TusClient;
  let dispose: () => Promise<void>;
  /** The finish places the part as the content (a local mount resolves the part's path first). */
  const place = new Gate();
  /** The part objects read while a finish joins and hashes them. */
  const partRead = new Gate();
  const recordInsert = new Gate();
  /** markCompleted: the upload advanced to its length with no parts. */
  const markComplete = new Gate();
  /** The termination removes the session. */
  const sessionDelete = new Gate();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-tus-finish-race-'));
    sqlite = new SqliteStore({ path: join(dir, 'ufs.db') });
    const mount = await openContentMount(join(dir, 'content'));
    dispose = () => mount.dispose();
    const isPart = (key: unknown) => typeof key === 'string' && key.startsWith('_tus/');
    let content: StorageBackend = gated(mount.backend, 'localPath', place, isPart);
    content = gated(content, 'read', partRead, isPart);
    let store: MetadataStore = gated<MetadataStore>(sqlite, 'insertContentIfAbsent', recordInsert);
    store = gated(store, 'advanceUpload', markComplete, (_id, from, to, parts) => {
      return from === to && Array.isArray(parts) && parts.length === 0;
    });
    store = gated(store, 'deleteUpload', sessionDelete);
    server = await startServer({ dir, content, store: { instance: store }, logLevels: [] });
    tus = tusClient(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
    await sqlite?.close();
    await dispose?.();
    await rm(dir, { recursive: true, force: true });
  });

  const idOf = (location: string) => location.slice('/tus/'.length);
  /** What the content mount holds of the upload (its folder's entries, temporary files included). */
  const leftOf = async (location: string): Promise<string[] | 'no folder'> =>
    readdir(join(dir, 'content', '_tus', idOf(location))).catch(() => 'no folder' as const);
  /** DELETE /tus/{id} with the headers of its answer. */
  const terminate = async (location: string) => {
    const res = await fetch(`${server.url}${location}`, {
      method: 'DELETE',
      headers: { 'x-api-key': server.key, 'tus-resumable': '1.0.0' },
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
  };
  /** Whether the content of `sha256` is held: its record `present` and its object of the right size in the mount. */
  const held = async (sha256: string, size: number) => {
    const record = await server.store.getContent(sha256);
    const object = await stat(join(dir, 'content', contentKey(sha256))).catch(() => null);
    if (record?.state === 'present' && object?.size === size) return true;
    if (!record && !object) return false;
    throw new Error(`half state for ${sha256}: record ${JSON.stringify(record)}, object of ${object?.size} bytes`);
  };

  /** A PATCH whose body the test sends piece by piece: `send` writes, `end` finishes it; `answer` is its response. */
  /** The finish wins: DELETE 503 busy while it runs, PATCH 204, content held; a DELETE after it removes the marker. */
  async function deleteDuringFinish(gate: Gate, chunks: number): Promise<void> {
    const data = randomBytes(64 * 1024);
    const sha256 = sha256Of(data);
    const { location } = await tus.create(sha256, data.length);
    const cut = Math.floor(data.length / chunks);
    for (let i = 0; i < chunks - 1; i++) {
      expect((await tus.patch(location!, i * cut, data.subarray(i * cut, (i + 1) * cut))).status).toBe(204);
    }
    gate.arm();
    const last = tus.patch(location!, (chunks - 1) * cut, data.subarray((chunks - 1) * cut));
    await gate.reached;
    const during = await terminate(location!);
    expect(during).toMatchObject({ status: 503, retryAfter: '1' });
    expect(JSON.parse(during.text)).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(JSON.parse(during.text).detail).toContain(`[tus] upload "${idOf(location!)}" is being finished`);
    gate.release();
    expect(await last).toMatchObject({ status: 204, offset: data.length });
    expect(await held(sha256, data.length)).toBe(true);
    expect((await tus.head(location!)).offset).toBe(data.length);
    expect((await terminate(location!)).status).toBe(204);
    expect((await tus.head(location!)).status).toBe(404);
    expect(await leftOf(location!)).toBe('no folder');
    expect(await held(sha256, data.length)).toBe(true);
  }

  it('while the content is placed: DELETE 503, the PATCH 204 with the content held', async () => {
    for (let round = 0; round < ROUNDS; round++) await deleteDuringFinish(place, 1);
  });

  it('while the content record is inserted: DELETE 503, the PATCH 204 with the content held', async () => {
    for (let round = 0; round < ROUNDS; round++) await deleteDuringFinish(recordInsert, 1);
  });

  it('while the upload is marked complete: DELETE 503, the PATCH 204 with the content held', async () => {
    for (let round = 0; round < ROUNDS; round++) await deleteDuringFinish(markComplete, 1);
  });

  it('while the parts of a chunked upload are joined and hashed: DELETE 503, the PATCH 204', async () => {
    for (let round = 0; round < ROUNDS; round++) await deleteDuringFinish(partRead, 3);
  });

  it('a termination under way when the last byte arrives wins: the PATCH is 503 then 404, nothing stored', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const data = randomBytes(1000);
      const sha256 = sha256Of(data);
      const { location } = await tus.create(sha256, data.length);
      // The termination has removed the parts (none yet) and is about to remove the session.
      sessionDelete.arm();
      const terminated = terminate(location!);
      await sessionDelete.reached;
      // The last byte arrives meanwhile (the session is still there): the termination holds the upload.
      const last = await tus.patch(location!, 0, data);
      expect(last.status).toBe(503);
      expect(JSON.parse(last.text)).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      sessionDelete.release();
      expect((await terminated).status).toBe(204);
      // The client's retry: the upload is gone.
      expect((await tus.patch(location!, 0, data)).status).toBe(404);
      expect((await tus.head(location!)).status).toBe(404);
      expect(await leftOf(location!)).toBe('no folder');
      expect(await held(sha256, data.length)).toBe(false);
    }
  });

  it('terminated while the last PATCH streams its part: the PATCH waits for the termination and answers 404', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const data = randomBytes(256 * 1024);
      const sha256 = sha256Of(data);
      const { location } = await tus.create(sha256, data.length);
      const patch = streamingPatch(server.url, location!, server.key, data.length);
      await patch.send(data.subarray(0, 1024));
      // The part is being written (its temporary file is in the upload's folder) when the termination removes the
      // folder; it is held before it removes the session.
      for (let i = 0; i < 200 && (await leftOf(location!)) === 'no folder'; i++) await sleep(25);
      sessionDelete.arm();
      const terminated = terminate(location!);
      await sessionDelete.reached;
      expect(await leftOf(location!)).toBe('no folder');
      // The rest of the body arrives: the part cannot be stored (its folder is gone) while the session is still there.
      await patch.send(data.subarray(1024));
      patch.end();
      await sleep(300);
      sessionDelete.release();
      expect((await terminated).status).toBe(204);
      const answer = await patch.answer;
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'NOT_FOUND', retryable: false });
      expect(await leftOf(location!)).toBe('no folder');
      expect(await held(sha256, data.length)).toBe(false);
    }
  });

  it('DELETEs fired at random moments of the last PATCH: never a 500, never a half state', async () => {
    for (let round = 0; round < 60; round++) {
      const data = randomBytes(256 * 1024);
      const sha256 = sha256Of(data);
      const { location } = await tus.create(sha256, data.length);
      const last = tus.patch(location!, 0, data);
      await sleep(round % 10);
      const deletes: number[] = [];
      for (;;) {
        const answer = await terminate(location!);
        deletes.push(answer.status);
        if (answer.status !== 503) break;
        await sleep(5);
      }
      const patched = await last;
      expect(deletes.every((s) => s === 204 || s === 503)).toBe(true);
      expect(deletes.at(-1)).toBe(204);
      // 204: the finish won. 404: the termination came first. 503: the termination held the upload when the last
      // byte arrived (a tus client retries, and learns that the upload is gone).
      expect([204, 404, 503]).toContain(patched.status);
      if (patched.status !== 204) expect(JSON.parse(patched.text)).toMatchObject({ retryable: patched.status === 503 });
      if (patched.status === 503) expect((await tus.patch(location!, 0, data)).status).toBe(404);
      // Stored exactly when the PATCH said so.
      expect(await held(sha256, data.length)).toBe(patched.status === 204);
      expect((await tus.head(location!)).status).toBe(404);
      expect(await leftOf(location!)).toBe('no folder');
    }
  });
});
