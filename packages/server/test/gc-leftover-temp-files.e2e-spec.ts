// A server killed mid-upload (kill -9) leaves the local mount's temporary file of the write it was doing
// (`.ufs-<process prefix>-<counter>.tmp`, hidden from listings) in `_tmp/` or in a tus upload's `_tus/<id>/`. gc removes
// such leftovers older than the grace period (never a fresh one: it may be an upload in flight on another replica), and
// removing a tus upload's folder removes them too. A real server over a real local content folder.
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { filesUnder } from './helpers/objects.js';
import { client, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

/** Whether nothing is at `path` any more. */
const gone = (path: string) =>
  stat(path).then(
    () => false,
    () => true,
  );

/** Named as the local backend's writer names its temporary files (a process prefix of 12 hex digits, a counter). */
const leftover = (counter: number) => `.ufs-4c92894a82c8-${counter.toString(36)}.tmp`;

describe('temporary files of a killed write on a local content mount', () => {
  let server: TestServer;
  let root: string;
  const old = new Date(Date.now() - 2 * 3600_000);
  /** Writes a temporary file as a killed write leaves it; `age` old ones get a modification time 2 hours ago. */
  async function plant(folder: string, name: string, age: 'old' | 'fresh'): Promise<string> {
    await mkdir(join(root, folder), { recursive: true });
    const path = join(root, folder, name);
    await writeFile(path, Buffer.alloc(5 * 1024, 1));
    if (age === 'old') await utimes(path, old, old);
    return `${folder}/${name}`;
  }
  beforeAll(async () => {
    server = await startServer({ logLevels: ['error'] });
    root = join(server.dir, 'content');
  });
  afterAll(async () => server?.close());

  it('gc removes those older than the grace period, in _tmp/ and in a collected upload’s folder; keeps fresh ones', async () => {
    const stale = await plant('_tmp', leftover(1), 'old');
    const fresh = await plant('_tmp', leftover(2), 'fresh');
    // The folder of a tus upload whose session is long gone (collected when it expired), with only a leftover in it.
    const staleTus = await plant('_tus/0123456789abcdef0123456789abcdef', leftover(3), 'old');
    const c = client(server.url, server.key);

    const dry = await c.call('POST', '/admin/gc', { grace_seconds: 0, dry_run: true });
    expect(dry.json).toMatchObject({ tempObjects: 2, dryRun: true });
    expect(await filesUnder(root)).toEqual(expect.arrayContaining([stale, fresh, staleTus]));

    const gc = await c.call('POST', '/admin/gc', { grace_seconds: 0 });
    expect(gc.status).toBe(200);
    expect(gc.json).toMatchObject({ tempObjects: 2 });
    const left = await filesUnder(root);
    expect(left).toContain(fresh);
    expect(left).not.toContain(stale);
    expect(left).not.toContain(staleTus);
    // Nothing is left of the collected upload, not even its folder.
    expect(await filesUnder(join(root, '_tus'))).toEqual([]);
    expect(await gone(join(root, '_tus/0123456789abcdef0123456789abcdef'))).toBe(true);
  });

  it('a grace period longer than a leftover’s age keeps it', async () => {
    const kept = await plant('_tmp', leftover(4), 'old');
    const gc = await client(server.url, server.key).call('POST', '/admin/gc', { grace_seconds: 3 * 3600 });
    expect(gc.json).toMatchObject({ tempObjects: 0 });
    expect(await filesUnder(root)).toContain(kept);
  });

  it('DELETE of a tus upload removes a leftover in its folder (nothing is left under _tus/<id>)', async () => {
    const tus = tusClient(server.url, server.key);
    const data = Buffer.from('resumable '.repeat(100));
    const created = await tus.create(sha256Of(data), data.length);
    expect(created.status).toBe(201);
    const location = created.location!;
    expect((await tus.patch(location, 0, data.subarray(0, 300))).status).toBe(204);
    // The PATCH after it was cut by a kill -9: its temporary file stays (fresh: it was being written a moment ago).
    const id = location.split('/').pop()!;
    await plant(`_tus/${id}`, leftover(5), 'fresh');
    expect(await tus.terminate(location)).toBe(204);
    expect(await gone(join(root, '_tus', id))).toBe(true);
  });

  it('a finished tus upload leaves no leftover of a killed PATCH in its folder', async () => {
    const tus = tusClient(server.url, server.key);
    const data = Buffer.from('finished '.repeat(100));
    const created = await tus.create(sha256Of(data), data.length);
    const location = created.location!;
    const id = location.split('/').pop()!;
    expect((await tus.patch(location, 0, data.subarray(0, 200))).status).toBe(204);
    await plant(`_tus/${id}`, leftover(6), 'fresh');
    const done = await tus.patch(location, 200, data.subarray(200));
    expect(done).toMatchObject({ status: 204, offset: data.length });
    expect(await gone(join(root, '_tus', id))).toBe(true);
  });
});
