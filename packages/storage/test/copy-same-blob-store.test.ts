// Two mounts of one Azure container (Azurite), of one GCS bucket (the JSON API fake) or of one WebDAV server folder,
// one of them with a prefix (WebDAV: the URL of a folder below), are one storage: a copy or move of a file or tree onto itself is refused up front (INVALID_INPUT), nothing is deleted.
// Another container or bucket with the same names is another storage.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { rejectsWith } from './helpers.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, startWebdavServer } from '@org/test-services';

const azurite = await startAzurite();
const gcs = await startGcsFixture();
const dav = await startWebdavServer();
const davOther = await startWebdavServer();
afterAll(async () => Promise.all([azurite.stop(), gcs.close(), dav.stop(), davOther.stop()]), 30_000);

const container = `same-${randomBytes(4).toString('hex')}`;
const otherContainer = `${container}-other`;
let storage: StorageManager;
let run = '';

beforeEach(async () => {
  run = `r${randomBytes(3).toString('hex')}`;
  const azure = {
    protocol: 'azure',
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint: azurite.blobEndpoint,
    createContainer: true,
  };
  const bucket = { protocol: 'gcs', ...gcs.base };
  storage = new StorageManager({ env: {} });
  await storage.configure([
    { name: 'az', ...azure, container },
    { name: 'az2', ...azure, container, prefix: run },
    { name: 'azother', ...azure, container: otherContainer },
    { name: 'gs', ...bucket, bucket: 'ufs-plain' },
    { name: 'gs2', ...bucket, bucket: 'ufs-plain', prefix: run },
    { name: 'gsother', ...bucket, bucket: 'ufs-versioned' },
    { name: 'dav', ...davMount(dav, '') },
    { name: 'dav2', ...davMount(dav, `${run}/`) },
    { name: 'davother', ...davMount(davOther, '') },
  ]);
  await storage.node(`dav:${run}/keep.txt`).writeText('the folder of dav2');
});
afterEach(() => storage.dispose());

function davMount(server: typeof dav, below: string) {
  return { protocol: 'webdav', url: `${server.url}${below}`, username: server.username, password: server.password };
}

describe.each([
  ['azure', 'az', 'az2', 'azother'],
  ['gcs', 'gs', 'gs2', 'gsother'],
  ['webdav', 'dav', 'dav2', 'davother'],
])('two mounts of one %s store', (_protocol, whole, prefixed, other) => {
  it('refuse a file onto itself and keep it', async () => {
    const src = storage.node(`${whole}:${run}/f.txt`);
    await src.writeText('precious');
    for (const operation of [moveNode, copyNode]) {
      const error = await rejectsWith(operation(src, storage.node(`${prefixed}:f.txt`)), 'INVALID_INPUT');
      expect(error.message).toContain('source and destination are the same file');
    }
    expect(await src.readText()).toBe('precious');
  });

  it('refuse a tree onto itself and keep its files', async () => {
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      await storage.node(`${whole}:${run}/t/${name}`).writeText(name);
    const error = await rejectsWith(
      moveNode(storage.node(`${prefixed}:t`), storage.node(`${whole}:${run}/t`)),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('the destination is inside the source folder');
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      expect(await storage.node(`${whole}:${run}/t/${name}`).readText()).toBe(name);
  });

  it('copy to another store with the same names', async () => {
    await storage.node(`${whole}:${run}/g.txt`).writeText('elsewhere');
    const summary = await copyNode(storage.node(`${prefixed}:g.txt`), storage.node(`${other}:${run}/g.txt`));
    expect(summary).toMatchObject({ files: 1, errors: [] });
    expect(await storage.node(`${other}:${run}/g.txt`).readText()).toBe('elsewhere');
  });
});
