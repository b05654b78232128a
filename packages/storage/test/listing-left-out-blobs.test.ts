// What an Azure or GCS listing cannot list is reported (and counted by a copy), never passed over in silence nor
// listed under another path, as on S3 (listing-left-out-remote.test.ts): names with an empty segment (`odd//x`) and
// names not in Unicode NFC (`cafe\u0301.txt`). Against azurite and the fake GCS JSON API.
import { randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { tempDir } from './helpers.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@org/test-services';

const azurite = await startAzurite();
const gcs = await startGcsFixture();
afterAll(async () => {
  await gcs.close();
  await azurite.stop();
});

const names = ['odd/cafe\u0301.txt', 'odd//double.txt', 'odd/ok.txt'];
const container = `ufs-left-out-${randomBytes(4).toString('hex')}`;
const prefix = `left-out-${randomBytes(4).toString('hex')}`;

async function seedAzure(): Promise<void> {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const raw = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(container);
  await raw.createIfNotExists();
  for (const name of names) await raw.getBlockBlobClient(name).upload(name, name.length);
}

async function seedGcs(): Promise<void> {
  const bucket = new Storage({ ...gcs.base }).bucket('ufs-plain');
  for (const name of names) await bucket.file(`${prefix}/${name}`).save(name, { resumable: false });
}

const mounts = {
  az: () => ({
    name: 'az',
    protocol: 'azure',
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint: azurite.blobEndpoint,
    container,
  }),
  gcs: () => ({ name: 'gcs', protocol: 'gcs', ...gcs.base, bucket: 'ufs-plain', prefix }),
};

describe.each([
  ['az', seedAzure],
  ['gcs', seedGcs],
] as const)('%s names no path can name', (mount, seed) => {
  it('are reported by listings (one level and recursive), never listed, and counted by a copy', async () => {
    await seed();
    const out = await tempDir('ufs-left-out-blobs-');
    const storage = new StorageManager({ env: {} });
    try {
      await storage.configure([mounts[mount](), { name: 'out', protocol: 'local', root: out.path }]);
      for (const recursive of [false, true]) {
        const reported: UfsError[] = [];
        const listed: string[] = [];
        const report = (e: UfsError) => reported.push(e);
        for await (const node of storage
          .node(`${mount}:odd`)
          .list({ recursive, onUnreadable: report, onInvalidName: report }))
          listed.push(node.path);
        expect(listed).toEqual(['odd/ok.txt']);
        const messages = reported.map((e) => e.message).sort();
        expect(messages).toHaveLength(2);
        expect(messages.join('\n')).toContain('no path can name the object key "odd/cafe\\u0301.txt"');
        expect(messages.join('\n')).toContain('not in Unicode NFC');
        expect(messages.join('\n')).toMatch(
          /"[a-z]+:odd\/\/(double\.txt)?": left out of the listing: empty path segment/,
        );
        expect(reported.every((e) => e.code === 'INVALID_INPUT')).toBe(true);
      }
      const summary = await copyNode(storage.node(`${mount}:odd`), storage.node('out:copy'));
      expect(summary.files).toBe(1);
      expect(summary.errors).toHaveLength(2);
    } finally {
      await storage.dispose();
      await out.cleanup();
    }
  });
});
