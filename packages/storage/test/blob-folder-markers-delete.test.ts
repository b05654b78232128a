// A folder marker (`name/`, made by other tools) of Azure and GCS is its folder's own: a non-recursive delete of a
// folder whose only content is its marker deletes the marker (as S3 does); a folder with other content stays refused.
// So moving a tree with markers (which recursive listings list as folders) leaves nothing at the source.
// Against azurite and the fake GCS JSON API.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@org/test-services';
import { StorageManager } from '../src/index.js';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { rejectsWith, tempDir } from './helpers.js';

const azurite = await startAzurite();
const gcs = await startGcsFixture();
afterAll(async () => {
  await gcs.close();
  await azurite.stop();
});

const container = `ufs-markers-${randomBytes(4).toString('hex')}`;
const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
const rawAzure = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(container);
const rawGcs = new Storage({ ...gcs.base }).bucket('ufs-plain');

let run = 0;
let prefix = '';
let storage: StorageManager;
beforeEach(async () => {
  prefix = `run-${++run}-${randomBytes(3).toString('hex')}`;
  storage = new StorageManager({ env: {} });
  await storage.configure([
    {
      name: 'az',
      protocol: 'azure',
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: azurite.blobEndpoint,
      container,
      createContainer: true,
      prefix,
    },
    { name: 'gcs', protocol: 'gcs', ...gcs.base, bucket: 'ufs-plain', prefix },
  ]);
});
afterEach(() => storage.dispose());

describe.each(['az', 'gcs'] as const)('on %s', (mount) => {
  /** Writes a blob as other tools do (folder markers `name/` included). */
  const putRaw = async (name: string, text = '') => {
    if (mount === 'az') {
      await rawAzure.createIfNotExists();
      await rawAzure.getBlockBlobClient(`${prefix}/${name}`).upload(text, Buffer.byteLength(text));
    } else await rawGcs.file(`${prefix}/${name}`).save(text, { resumable: false });
  };
  /** Every stored name below `folder/`, relative to it. */
  const rawNames = async (folder: string): Promise<string[]> => {
    const start = `${prefix}/${folder}/`;
    const names: string[] = [];
    if (mount === 'az') {
      for await (const item of rawAzure.listBlobsFlat({ prefix: start })) names.push(item.name);
    } else names.push(...(await rawGcs.getFiles({ prefix: start }))[0].map((file) => file.name));
    return names.map((name) => name.slice(start.length)).sort();
  };
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
