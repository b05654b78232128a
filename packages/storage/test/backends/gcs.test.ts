import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it } from '@jest/globals';
import { describeBackendContract, expectUfsError, generated, get, listAll, put, readAll } from '@org/storage-testing';
import definition from '../../src/backends/gcs/index.js';
import { StorageManager } from '../../src/index.js';
import { loadBackend } from '../../src/registry.js';
import { startGcsFixture } from '../fakes/gcs-fixture.js';
import { startFakeGcs } from '../fakes/gcs-server.js';

// No GCS emulator runs here: these tests use the local fake of the JSON API in test/fakes/gcs-server.ts (see its
// header for what it does not cover). Signed URLs are verified by the fake against the test's own RSA key.
const MiB = 1024 * 1024;
const fixture = await startGcsFixture();
afterAll(() => fixture.close());
const { fake, credentials, publicKey, base, create } = fixture;

describeBackendContract(
  'gcs (fake JSON API server)',
  { backend: await create({ ...base, bucket: 'ufs-plain', resumableThreshold: MiB }) },
  { largeBytes: 24 * MiB },
);
describeBackendContract(
  'gcs versioned, chunked resumable uploads (fake JSON API server)',
  { backend: await create({ ...base, bucket: 'ufs-versioned', versioning: true, chunkSize: 4 * MiB }) },
  { largeBytes: 9 * MiB },
);

// A real bucket, when one is given (none is reachable on the build machines): UFS_TEST_GCS_BUCKET, with credentials
// from GOOGLE_APPLICATION_CREDENTIALS (a service-account key file, which also signs URLs).
const realBucket = process.env.UFS_TEST_GCS_BUCKET;
if (realBucket) {
  describeBackendContract(
    `gcs (real bucket ${realBucket})`,
    {
      backend: await create({ bucket: realBucket, prefix: `ufs-test-${Date.now()}` }, { ...process.env } as Record<
        string,
        string
      >),
    },
    { largeBytes: 16 * MiB },
  );
}

describe('gcs backend (fake JSON API server)', () => {
  const plain = () => create({ ...base, bucket: 'ufs-plain' });
  let n = 0;
  const folder = () => `specific/${++n}`;

  it('is registered under gcs and gs', async () => {
    expect(await loadBackend('gcs')).toBe(definition);
    expect(await loadBackend('gs')).toBe(definition);
  });

  describe('options', () => {
    const messages = (raw: Record<string, unknown>) => {
      const result = definition.options.safeParse(raw);
      expect(result.success).toBe(false);
      return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };

    it('requires a valid bucket name', () => {
      expect(messages({})).toMatch(/bucket: bucket is required/);
      expect(messages({ bucket: 'Bad Bucket' })).toMatch(/bucket: bucket must be 3-63 lowercase/);
      expect(messages({ bucket: 'ab' })).toMatch(/bucket must be/);
      expect(definition.options.safeParse({ bucket: 'my_bucket.example-1' }).success).toBe(true);
    });

    it('checks credentials, clients, prefix and chunk size', () => {
      expect(messages({ bucket: 'abc', credentials: { client_email: 'a@b', private_key: 'nope' } })).toMatch(
        /credentials.private_key: credentials.private_key must be a PEM private key/,
      );
      expect(messages({ bucket: 'abc', credentials, keyFilename: '/k.json' })).toMatch(
        /give credentials or keyFilename, not both/,
      );
      const storage = new Storage({ apiEndpoint: fake.endpoint });
      expect(messages({ bucket: 'abc', storage, apiEndpoint: fake.endpoint })).toMatch(
        /a ready storage already has its settings: do not combine it with apiEndpoint/,
      );
      expect(messages({ bucket: 'other', bucketClient: storage.bucket('abc') })).toMatch(
        /differs from bucketClient's bucket "abc"/,
      );
      expect(messages({ bucket: 'abc', storage: { not: 'a client' } })).toMatch(/storage must be a Storage/);
      expect(messages({ bucket: 'abc', prefix: '../x' })).toMatch(/prefix: prefix is not a valid path/);
      expect(messages({ bucket: 'abc', chunkSize: 300 * 1024 })).toMatch(/chunkSize must be a multiple of 256 KiB/);
      expect(messages({ bucket: 'abc', apiEndpoint: 'not a url' })).toMatch(/apiEndpoint must be an http\(s\) URL/);
    });

    it('mounts gs:// and gcs:// URLs with a prefix; secrets are refused in URLs', async () => {
      const root = folder();
      const url = new URL(
        `gs://ufs-plain/${root}/url%20mount?project=ufs-test&endpoint=${encodeURIComponent(fake.endpoint)}`,
      );
      const options = definition.fromUrl!(url);
      expect(options).toEqual({
        bucket: 'ufs-plain',
        prefix: `${root}/url mount`,
        projectId: 'ufs-test',
        apiEndpoint: fake.endpoint,
      });
      expect(definition.fromUrl!(new URL('gcs://ufs-versioned/p?versioning=true'))).toEqual({
        bucket: 'ufs-versioned',
        prefix: 'p',
        versioning: true,
      });
      const mounted = await create(options);
      await put(mounted, 'inside/a.txt', 'under the prefix');
      expect((await get(await plain(), `${root}/url mount/inside/a.txt`)).toString()).toBe('under the prefix');
      expect((await listAll(mounted, '', { recursive: true })).map((e) => e.key)).toEqual(['inside', 'inside/a.txt']);
      expect(() => definition.fromUrl!(new URL('gs://b/x?private_key=abc'))).toThrow(/must not be given in a URL/);
    });

    it('accepts a ready Storage or Bucket', async () => {
      const key = `${folder()}/ready.txt`;
      const storage = new Storage({ apiEndpoint: fake.endpoint, projectId: 'ufs-test', credentials });
      const viaStorage = await create({ bucket: 'ufs-plain', storage });
      await put(viaStorage, key, 'ready');
      const viaBucket = await create({ bucketClient: storage.bucket('ufs-plain') });
      expect((await get(viaBucket, key)).toString()).toBe('ready');
      expect(viaBucket.capabilities.presignGet).toBe(true);
    });
  });

  it('works as a mount of the StorageManager from a gs:// URL', async () => {
    const storage = new StorageManager({ env: {} });
    try {
      const url = `gs://ufs-plain/managed?project=ufs-test&endpoint=${encodeURIComponent(fake.endpoint)}`;
      await storage.configure([{ name: 'bucket', url, credentials }]);
      const node = storage.node('bucket:docs/hello.txt');
      await node.writeText('hello through the manager');
      expect(await node.readText()).toBe('hello through the manager');
      expect(await node.hash('md5')).toBe(createHash('md5').update('hello through the manager').digest('hex'));
      const response = await fetch(await node.url({ expiresIn: 60 }));
      expect(await response.text()).toBe('hello through the manager');
      expect((await get(await plain(), 'managed/docs/hello.txt')).toString()).toBe('hello through the manager');
    } finally {
      await storage.dispose();
    }
  });

  describe('never leaves 127.0.0.1 (no metadata server, no OAuth)', () => {
    it('talks only to the fake, with and without credentials, including signing', async () => {
      // A fake of its own: a new port means new connections, so none is hidden by keep-alive reuse.
      const own = await startFakeGcs();
      own.addBucket('ufs-plain');
      own.addServiceAccount(credentials.client_email, publicKey);
      const seen: string[] = [];
      const onSocket = ({ socket }: { socket: Socket }) => {
        socket.on('lookup', (_err: unknown, _address: unknown, _family: unknown, host: string) =>
          seen.push(`lookup ${host}`),
        );
        socket.on('connectionAttempt', (ip: string, port: number) => seen.push(`connect ${ip}:${port}`));
        socket.on('connect', () => seen.push(`connect ${socket.remoteAddress}:${socket.remotePort}`));
      };
      diagnostics.subscribe('net.client.socket', onSocket as (message: unknown) => void);
      try {
        const anonymous = await create({ bucket: 'ufs-plain', apiEndpoint: own.endpoint });
        expect(anonymous.capabilities).toMatchObject({ presignGet: false, presignPut: false });
        await expectUfsError(anonymous.presignGet!('x.txt', { expiresIn: 60 }), 'UNSUPPORTED');
        const signed = await create({ ...base, apiEndpoint: own.endpoint, bucket: 'ufs-plain' });
        const key = `${folder()}/net.txt`;
        for (const b of [anonymous, signed]) {
          await put(b, key, 'local only');
          await b.write(key, generated(2 * MiB), {});
          await b.stat(key);
          await readAll(await b.read(key));
          await b.list(key.split('/')[0]!);
          await b.copy!(key, `${key}.2`);
          await b.setMetadata!(key, { a: 'b' });
          await b.delete(key);
        }
        const url = await signed.presignGet!(`${key}.2`, { expiresIn: 60 });
        expect((await fetch(url)).status).toBe(200);
      } finally {
        diagnostics.unsubscribe('net.client.socket', onSocket as (message: unknown) => void);
        await own.close();
      }
      const port = new URL(own.endpoint).port;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((s) => s !== `connect 127.0.0.1:${port}`)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('maps a missing bucket to NOT_FOUND naming it', async () => {
      const missing = await create({ ...base, bucket: 'no-such-bucket' });
      for (const [operation, attempt] of [
        ['stat', () => missing.stat('a.txt')],
        ['stat', () => missing.stat('')],
        ['read', () => missing.read('a.txt')],
        ['write', () => put(missing, 'a.txt', 'x')],
        ['write', () => missing.write('big.bin', generated(MiB))],
        ['list', () => missing.list('')],
        ['delete', () => missing.delete('a.txt')],
      ] as const) {
        const error = await expectUfsError(attempt(), 'NOT_FOUND');
        expect(error.message).toContain(`[ufs] [gcs] ${operation}`);
        expect(error.message).toContain('bucket "no-such-bucket" does not exist');
        expect(error.context).toMatchObject({ backend: 'gcs', operation, status: 404 });
      }
    });

    it('maps 403 answers to PERMISSION_DENIED', async () => {
      const denied = await create({ ...base, bucket: 'ufs-denied' });
      for (const attempt of [
        () => denied.stat('a.txt'),
        () => denied.read('a.txt'),
        () => put(denied, 'a.txt', 'x'),
        () => denied.list(''),
      ]) {
        const error = await expectUfsError(attempt(), 'PERMISSION_DENIED');
        expect(error.message).toMatch(/^\[ufs\] \[gcs\] \w+( ".*")?: access denied by GCS \(403/);
      }
    });

    it('reports corrupted downloads as INTEGRITY', async () => {
      const b = await plain();
      const key = `${folder()}/corrupt.bin`;
      await put(b, key, 'the right bytes');
      fake.corruptDownloads = true;
      try {
        await expectUfsError(readAll(await b.read(key)), 'INTEGRITY');
      } finally {
        fake.corruptDownloads = false;
      }
    });

    it('refuses undeclared versions, the root as a file, bad ranges and long-lived signed URLs', async () => {
      const b = await plain();
      await expectUfsError(b.read('x', { versionId: '1' }), 'UNSUPPORTED');
      await expectUfsError(b.versions!('x'), 'UNSUPPORTED');
      await expectUfsError(b.read(''), 'INVALID_INPUT');
      await expectUfsError(b.read('x', { start: 3, end: 1 }), 'INVALID_INPUT');
      await expectUfsError(b.presignGet!('x', { expiresIn: 8 * 24 * 3600 }), 'INVALID_INPUT');
      const versioned = await create({ ...base, bucket: 'ufs-versioned', versioning: true });
      await expectUfsError(versioned.read('x', { versionId: 'latest' }), 'INVALID_INPUT');
    });
  });
});
