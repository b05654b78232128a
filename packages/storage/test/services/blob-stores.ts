import { randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@org/test-services';
import type { MountConfig } from '../../src/index.js';
import { startGcsFixture } from '../fakes/gcs-fixture.js';

/** Azurite and the fake GCS JSON API, with mounts `az` and `gcs` and the raw SDK clients other tools would use. */
export interface BlobStores {
  /** The `az` (a fresh container) and `gcs` (bucket `ufs-plain`) mounts, both below `prefix`. */
  mounts(prefix: string): MountConfig[];
  /** Writes the blob `key` (not a ufs key: folder markers `name/` included) as other tools do, through the SDK. */
  putRaw(mount: 'az' | 'gcs', key: string, text?: string): Promise<void>;
  /** Every stored blob name below `start` (a raw prefix), relative to it, sorted. */
  rawNames(mount: 'az' | 'gcs', start: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startBlobStores(name: string): Promise<BlobStores> {
  const azurite = await startAzurite();
  const gcs = await startGcsFixture();
  const container = `ufs-${name}-${randomBytes(4).toString('hex')}`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const rawAzure = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(container);
  const rawGcs = new Storage({ ...gcs.base }).bucket('ufs-plain');
  return {
    mounts: (prefix) => [
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
    ],
    async putRaw(mount, key, text = '') {
      if (mount === 'az') {
        await rawAzure.createIfNotExists();
        await rawAzure.getBlockBlobClient(key).upload(text, Buffer.byteLength(text));
      } else await rawGcs.file(key).save(text, { resumable: false });
    },
    async rawNames(mount, start) {
      const names: string[] = [];
      if (mount === 'az') {
        for await (const item of rawAzure.listBlobsFlat({ prefix: start })) names.push(item.name);
      } else names.push(...(await rawGcs.getFiles({ prefix: start }))[0].map((file) => file.name));
      return names.map((n) => n.slice(start.length)).sort();
    },
    async stop() {
      await gcs.close();
      await azurite.stop();
    },
  };
}
