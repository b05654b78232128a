import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey, type EntryStat, type StorageBackend } from '@org/core';
import { openContentMount } from '../src/index.js';
import { contentObjects, filesUnder } from './helpers/objects.js';
import { client, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const undate = ({ mtime: _mtime, ...entry }: EntryStat): EntryStat => entry;

/** A local folder whose listings (and, unless `statDates`, stats too) carry no mtime, as some mounts give none. */
function undatedMount(backend: StorageBackend, statDates: boolean): StorageBackend {
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === 'list') {
        return async (...args: Parameters<StorageBackend['list']>) => {
          const page = await target.list(...args);
          return { ...page, entries: page.entries.map(undate) };
        };
      }
      if (prop === 'stat' && !statDates) {
        return async (key: string) => {
          const stat = await target.stat(key);
          return stat && undate(stat);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each([
  ['stats give the date', true],
  ['nothing gives the date', false],
])('gc on a mount whose listings carry no mtime (%s)', (_, statDates) => {
  let server: TestServer;
  let dir: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-gc-'));
    const mount = await openContentMount(join(dir, 'content'));
    dispose = () => mount.dispose();
    server = await startServer({
      dir,
      content: undatedMount(mount.backend, statDates),
      gcGraceMs: 60_000,
      logLevels: ['error'],
    });
  });
  afterAll(async () => {
    await server?.close();
    await dispose?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('never removes a temp object or an orphan it cannot date; removes old ones it can', async () => {
    const root = join(dir, 'content');
    const write = (key: string, data: string) => server.backend.write(key, Readable.from([Buffer.from(data)]));
    const [freshOrphan, oldOrphan] = [sha256Of('fresh orphan'), sha256Of('old orphan')];
    await write('_tmp/upload-in-progress', 'first bytes');
    await write('_tmp/left-by-a-crash', 'partial');
    await write(contentKey(freshOrphan), 'fresh orphan');
    await write(contentKey(oldOrphan), 'old orphan');
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(root, '_tmp/left-by-a-crash'), old, old);
    await utimes(join(root, contentKey(oldOrphan)), old, old);

    // `force`: the store holds no content record, so gc would refuse to remove the orphan (gc-guard.ts).
    const gc = await client(server.url, server.key).call('POST', '/admin/gc', { force: true });
    expect(gc.status).toBe(200);
    const temps = (await filesUnder(root)).filter((p) => p.startsWith('_tmp/'));
    const objects = await contentObjects(root);
    // The upload in progress survives either way; so does the orphan younger than the grace period.
    expect(temps).toContain('_tmp/upload-in-progress');
    expect(objects).toContain(contentKey(freshOrphan));
    if (statDates) {
      expect(gc.json).toMatchObject({ tempObjects: 1, orphans: [oldOrphan] });
      expect(temps).not.toContain('_tmp/left-by-a-crash');
      expect(objects).not.toContain(contentKey(oldOrphan));
    } else {
      expect(gc.json).toMatchObject({ tempObjects: 0, orphans: [] });
      expect(temps).toContain('_tmp/left-by-a-crash');
      expect(objects).toContain(contentKey(oldOrphan));
    }
  });
});
