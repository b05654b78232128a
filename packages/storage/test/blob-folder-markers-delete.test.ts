// A folder marker (`name/`, made by other tools) of Azure and GCS is its folder's own: a non-recursive delete of a
// folder whose only content is its marker deletes the marker (as S3 does); a folder with other content stays refused.
// So moving a tree with markers (which recursive listings list as folders) leaves nothing at the source.
// Against azurite and the fake GCS JSON API.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';
import { startBlobStores } from './services/blob-stores.js';

const stores = await startBlobStores('markers');
afterAll(() => stores.stop());

let run = 0;
let prefix = '';
let storage: StorageManager;
beforeEach(async () => {
  prefix = `run-${++run}-${randomBytes(3).toString('hex')}`;
  storage = new StorageManager({ env: {} });
  await storage.configure(stores.mounts(prefix));
});
afterEach(() => storage.dispose());

describe.each(['az', 'gcs'] as const)('on %s', (mount) => {
  /** Writes a blob as other tools do (folder markers `name/` included). */
  const putRaw = (name: string, text = '') => stores.putRaw(mount, `${prefix}/${name}`, text);
  /** Every stored name below `folder/`, relative to it. */
  const rawNames = (folder: string) => stores.rawNames(mount, `${prefix}/${folder}/`);
  /** The tester's tree: an empty folder (marker only) and a folder with a marker and a file. */
  const seedMarkers = async (folder: string) => {
    for (const [name, text] of [
      [`${folder}/e/`, ''],
      [`${folder}/x/`, ''],
      [`${folder}/x/y`, 'y'],
    ] as const)
      await putRaw(name, text);
  };

  it('a non-recursive delete of a folder that holds only its marker deletes the marker', async () => {
    await seedMarkers('mk');
    await storage.node(`${mount}:mk/e`).delete();
    expect(await rawNames('mk')).toEqual(['x/', 'x/y']);
    expect(await storage.node(`${mount}:mk/e`).exists()).toBe(false);
  });

  it('a folder with content besides its marker stays refused, marker and all', async () => {
    await seedMarkers('mk');
    const err = await rejectsWith(storage.node(`${mount}:mk/x`).delete(), 'INVALID_INPUT');
    expect(err.message).toContain('it is a folder that is not empty');
    expect(await rawNames('mk')).toEqual(['e/', 'x/', 'x/y']);
  });

  it('moving a tree with folder markers to a local folder leaves nothing at the source', async () => {
    await seedMarkers('mk1');
    const out = await tempDir('ufs-markers-');
    try {
      await storage.configure([{ name: 'out', protocol: 'local', root: out.path }]);
      const summary = await storage.node(`${mount}:mk1`).moveTo(storage.node('out:moved'));
      expect(summary.errors).toEqual([]);
      expect(await rawNames('mk1')).toEqual([]);
      const local = await readdir(join(out.path, 'moved'), { recursive: true });
      expect(local.sort()).toEqual(['e', 'x', join('x', 'y')]);
    } finally {
      await out.cleanup();
    }
  });
});
