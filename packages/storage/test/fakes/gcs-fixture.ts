import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { StorageBackend } from '@org/core';
import definition from '../../src/backends/gcs/index.js';
import { startFakeGcs, type FakeGcs } from './gcs-server.js';

/** A service account of the test: its key signs URLs locally, the fake verifies them with the public half. */
export function serviceAccount(email: string): {
  publicKey: KeyObject;
  credentials: { client_email: string; private_key: string };
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const private_key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { publicKey, credentials: { client_email: email, private_key } };
}

export interface GcsFixture {
  fake: FakeGcs;
  credentials: { client_email: string; private_key: string };
  publicKey: KeyObject;
  /** Mount options pointing at the fake with the test's service account. */
  base: { apiEndpoint: string; projectId: string; credentials: { client_email: string; private_key: string } };
  create(raw: Record<string, unknown>, env?: Record<string, string>): Promise<StorageBackend>;
  /** Prints the distinct calls the SDK made (UFS_GCS_FAKE_LOG=1), then stops the fake. */
  close(): Promise<void>;
}

/**
 * Starts the fake GCS JSON API server with buckets `ufs-plain`, `ufs-versioned` (Object Versioning on) and
 * `ufs-denied` (every call answered 403), and a registered service account.
 */
export async function startGcsFixture(): Promise<GcsFixture> {
  const fake = await startFakeGcs();
  const { credentials, publicKey } = serviceAccount('ufs-test@ufs-test.iam.gserviceaccount.com');
  fake.addServiceAccount(credentials.client_email, publicKey);
  fake.addBucket('ufs-plain');
  fake.addBucket('ufs-versioned', { versioning: true });
  fake.addBucket('ufs-denied', { denied: true });
  return {
    fake,
    credentials,
    publicKey,
    base: { apiEndpoint: fake.endpoint, projectId: 'ufs-test', credentials },
    create: async (raw, env = {}) => definition.create(definition.options.parse(raw), { mountName: 'gcs-test', env }),
    async close() {
      if (process.env.UFS_GCS_FAKE_LOG) {
        const shapes = fake.requests.map((r) =>
          r
            .replace(/\/o\/[^/?]+/g, '/o/{object}')
            .replace(/^(GET|PUT|HEAD) \/ufs-[^/]+\/[^?]+/, '$1 /{bucket}/{object}')
            .replace(/=[^&]*/g, '='),
        );
        console.log(`calls the SDK made to the fake GCS:\n${[...new Set(shapes)].sort().join('\n')}`);
      }
      await fake.close();
    },
  };
}
