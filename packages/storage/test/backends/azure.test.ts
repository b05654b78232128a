import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, describe, expect, it } from '@jest/globals';
import { hashStream } from '@org/core';
import {
  describeBackendContract,
  expectUfsError,
  generated,
  generatedDigest,
  get,
  listAll,
  put,
} from '@org/storage-testing';
import definition from '../../src/backends/azure/index.js';
import { StorageManager } from '../../src/index.js';
import { loadBackend } from '../../src/registry.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@org/test-services';

const MiB = 1024 * 1024;
const azurite = await startAzurite();
afterAll(() => azurite.stop());

const create = async (raw: Record<string, unknown>, env: Record<string, string> = {}) =>
  definition.create(definition.options.parse(raw), { mountName: 'azure-test', env });
const md5 = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');
const container = `ufs-${randomBytes(4).toString('hex')}`;
const account = { accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY, endpoint: azurite.blobEndpoint };
const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
const raw = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(container);

describeBackendContract(
  'azure (azurite)',
  { backend: await create({ ...account, container, createContainer: true, blockSize: 4 * MiB }) },
  { largeBytes: 24 * MiB },
);

// A real storage account, when one is given (none is reachable on the build machines).
const real = {
  connectionString: process.env.UFS_TEST_AZURE_CONNECTION_STRING,
  container: process.env.UFS_TEST_AZURE_CONTAINER,
};
if (real.connectionString && real.container) {
  describeBackendContract(
    `azure (real account, container ${real.container})`,
    { backend: await create({ ...real, prefix: `ufs-test-${Date.now()}` }) },
    { largeBytes: 16 * MiB },
  );
}

describe('azure backend (azurite)', () => {
  const backend = () => create({ ...account, container });
  let n = 0;
  const folder = () => `specific/${++n}`;

  it('is registered under azure and azblob', async () => {
    expect(await loadBackend('azure')).toBe(definition);
    expect(await loadBackend('azblob')).toBe(definition);
  });

  describe('options', () => {
    const parse = (raw: Record<string, unknown>) => definition.options.safeParse(raw);
    const messages = (raw: Record<string, unknown>) => {
      const result = parse(raw);
      expect(result.success).toBe(false);
      return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };

    it('requires a valid container name', () => {
      expect(messages({ accountName: 'abc', accountKey: 'a2V5' })).toMatch(/container: container is required/);
      expect(messages({ container: 'Bad_Name' })).toMatch(/container: container must be 3-63 lowercase/);
      expect(messages({ container: 'ab' })).toMatch(/container must be 3-63/);
      expect(messages({ container: 'a--b' })).toMatch(/container must be 3-63/);
      expect(parse({ container: 'my-container-1' }).success).toBe(true);
    });

    it('accepts one way to connect only', () => {
      expect(
        messages({ container, connectionString: azurite.connectionString, sasUrl: 'https://x.example/c?sig=1' }),
      ).toMatch(/give only one way to connect \(found connectionString and sasUrl\)/);
      expect(messages({ container, accountKey: AZURITE_KEY })).toMatch(
        /accountName: accountName is required with accountKey/,
      );
      expect(messages({ container, accountName: 'abc', accountKey: 'not base64!' })).toMatch(
        /accountKey must be base64/,
      );
      expect(messages({ container, connectionString: 'x', endpoint: 'http://127.0.0.1:1/a' })).toMatch(
        /endpoint goes with accountName/,
      );
      expect(messages({ container, endpoint: 'ftp://host/x' })).toMatch(/endpoint must be an http\(s\) URL/);
      expect(messages({ container, containerClient: { not: 'a client' } })).toMatch(
        /containerClient must be a ContainerClient/,
      );
    });

    it('checks the prefix, block size and concurrency', () => {
      expect(messages({ container, prefix: 'a/../b' })).toMatch(/prefix: prefix is not a valid path/);
      expect(messages({ container, blockSize: 1000 })).toMatch(/blockSize must be at least 1 MiB/);
      expect(messages({ container, concurrency: 0 })).toMatch(/concurrency/);
      expect(parse({ container, prefix: '/a/b/' }).data?.prefix).toBe('a/b');
    });

    it('fails clearly without credentials, naming the mount and the environment variables', async () => {
      const error = await expectUfsError(create({ container }), 'CONFIG_INVALID');
      expect(error.message).toMatch(/\[azure\] mount "azure-test": no credentials/);
      expect(error.message).toMatch(/AZURE_STORAGE_CONNECTION_STRING/);
      const noKey = await expectUfsError(create({ container, accountName: 'abc' }), 'CONFIG_INVALID');
      expect(noKey.message).toMatch(/accountName "abc" needs accountKey/);
      const badCs = await expectUfsError(create({ container, connectionString: 'nonsense' }), 'CONFIG_INVALID');
      expect(badCs.message).toMatch(/connectionString is not valid/);
    });

    it('reads credentials from the usual environment variables', async () => {
      const viaConnectionString = await create(
        { container },
        { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
      );
      const viaAccount = await create(
        { container, endpoint: azurite.blobEndpoint },
        { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY },
      );
      const key = `${folder()}/env.txt`;
      await put(viaConnectionString, key, 'from env');
      expect((await get(viaAccount, key)).toString()).toBe('from env');
      expect(viaAccount.capabilities.presignGet).toBe(true);
    });
  });

  describe('ways to connect', () => {
    it('works with a connection string, a container SAS URL and a ready ContainerClient', async () => {
      const key = `${folder()}/shared.txt`;
      const viaCs = await create({ container, connectionString: azurite.connectionString });
      await put(viaCs, key, 'one file, three clients');

      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse('racwdl'),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        credential,
      );
      const viaSas = await create({ container, sasUrl: `${azurite.blobEndpoint}/${container}?${sas.toString()}` });
      expect((await get(viaSas, key)).toString()).toBe('one file, three clients');
      expect((await viaSas.list(key.split('/').slice(0, -1).join('/'))).entries.map((e) => e.key)).toEqual([key]);
      // A SAS cannot mint other SAS URLs: presigning is not declared and refused.
      expect(viaSas.capabilities).toMatchObject({ presignGet: false, presignPut: false, copy: true });
      await expectUfsError(viaSas.presignGet!(key, { expiresIn: 60 }), 'UNSUPPORTED');
      await viaSas.copy!(key, `${key}.copy`);
      expect((await get(viaSas, `${key}.copy`)).toString()).toBe('one file, three clients');

      const client = new ContainerClient(`${azurite.blobEndpoint}/${container}`, credential);
      const viaClient = await create({ container, containerClient: client });
      expect((await get(viaClient, key)).toString()).toBe('one file, three clients');
      expect(viaClient.capabilities.presignGet).toBe(true);
      await expectUfsError(create({ container: 'other-container', containerClient: client }), 'CONFIG_INVALID');
    });

    it('mounts a URL with a prefix: azure://container/prefix?account=…&endpoint=…', async () => {
      const base = folder();
      const url = new URL(
        `azure://${container}/${base}/url%20mount?account=${AZURITE_ACCOUNT}&endpoint=${encodeURIComponent(azurite.blobEndpoint)}`,
      );
      const options = definition.fromUrl!(url);
      expect(options).toEqual({
        container,
        prefix: `${base}/url mount`,
        accountName: AZURITE_ACCOUNT,
        endpoint: azurite.blobEndpoint,
      });
      const mounted = await create(options, { AZURE_STORAGE_KEY: AZURITE_KEY });
      await put(mounted, 'inside/a.txt', 'under the prefix');
      const root = await backend();
      expect((await get(root, `${base}/url mount/inside/a.txt`)).toString()).toBe('under the prefix');
      expect((await listAll(mounted, '', { recursive: true })).map((e) => e.key)).toEqual(['inside', 'inside/a.txt']);
      expect(() => definition.fromUrl!(new URL(`azure://${container}/x?accountKey=secret`))).toThrow(
        /must not be given in a URL/,
      );
    });
  });

  it('works as a mount of the StorageManager from a URL, with the key from the environment', async () => {
    const storage = new StorageManager({ env: { AZURE_STORAGE_KEY: AZURITE_KEY } });
    try {
      const endpoint = encodeURIComponent(azurite.blobEndpoint);
      await storage.configure([
        { name: 'blobs', url: `azure://${container}/managed?account=${AZURITE_ACCOUNT}&endpoint=${endpoint}` },
      ]);
      const node = storage.node('blobs:docs/hello.txt');
      await node.writeText('hello through the manager');
      expect(await node.readText()).toBe('hello through the manager');
      expect(await node.hash('md5')).toBe(md5('hello through the manager'));
      const response = await fetch(await node.url({ expiresIn: 60 }));
      expect(await response.text()).toBe('hello through the manager');
      expect((await get(await backend(), 'managed/docs/hello.txt')).toString()).toBe('hello through the manager');
    } finally {
      await storage.dispose();
    }
  });

  describe('errors', () => {
    it('maps a bad account key to PERMISSION_DENIED on every operation', async () => {
      const bad = await create({
        ...account,
        container,
        accountKey: Buffer.from('definitely not the key').toString('base64'),
      });
      const key = `${folder()}/x.txt`;
      const attempts = [
        () => bad.stat(key),
        () => bad.read(key),
        () => put(bad, key, 'x'),
        () => bad.list(''),
        () => bad.delete(key),
      ];
      for (const attempt of attempts) {
        const error = await expectUfsError(attempt(), 'PERMISSION_DENIED');
        expect(error.message).toMatch(
          /^\[ufs\] \[azure\] \w+( ".*")?: access denied by Azure \(AuthorizationFailure\)/,
        );
        expect(error.context).toMatchObject({ backend: 'azure', status: 403 });
      }
    });

    it('maps a missing container to NOT_FOUND naming it', async () => {
      const missing = await create({ ...account, container: 'no-such-container' });
      for (const [operation, attempt] of [
        ['stat', () => missing.stat('a.txt')],
        ['stat', () => missing.stat('')],
        ['read', () => missing.read('a.txt')],
        ['write', () => put(missing, 'a.txt', 'x')],
        ['list', () => missing.list('')],
      ] as const) {
        const error = await expectUfsError(attempt(), 'NOT_FOUND');
        expect(error.message).toContain(`[ufs] [azure] ${operation}`);
        expect(error.message).toContain('container "no-such-container" does not exist');
        expect(error.context).toMatchObject({ backend: 'azure', operation });
      }
    });

    it('refuses versions, the root as a file, and bad ranges', async () => {
      const b = await backend();
      await expectUfsError(b.read('x', { versionId: '2020' }), 'UNSUPPORTED');
      await expectUfsError(b.read(''), 'INVALID_INPUT');
      await expectUfsError(put(b, '', 'x'), 'INVALID_INPUT');
      await expectUfsError(b.read('x', { start: 5, end: 2 }), 'INVALID_INPUT');
      await expectUfsError(b.read('x', { start: -1 }), 'INVALID_INPUT');
      await expectUfsError(b.presignGet!('x', { expiresIn: 0 }), 'INVALID_INPUT');
    });
  });

  describe('stored MD5 on every write path', () => {
    it('sets Content-MD5 on multi-block streamed uploads, keeps it on copy, and gets it on presigned PUTs', async () => {
      const b = await create({ ...account, container, blockSize: MiB, concurrency: 3 });
      const key = `${folder()}/blocks.bin`;
      const size = 5 * MiB + 123;
      const progress: number[] = [];
      const result = await b.write(key, generated(size, 3), { onProgress: (loaded) => progress.push(loaded) });
      expect(result.size).toBe(size);
      const expected = (await hashStream(generated(size, 3), 'md5')).digest;
      expect((await b.stat(key))?.hash).toEqual({ algorithm: 'md5', value: expected });
      expect(progress.length).toBeGreaterThanOrEqual(6);
      expect(Math.max(...progress)).toBe(size);
      expect((await hashStream(await b.read(key))).digest).toBe(await generatedDigest(size, 3));

      await b.copy!(key, `${key}.copy`);
      expect((await b.stat(`${key}.copy`))?.hash).toEqual({ algorithm: 'md5', value: expected });

      const url = await b.presignPut!(`${key}.put`, { expiresIn: 60 });
      const response = await fetch(url, { method: 'PUT', body: 'via SAS', headers: { 'x-ms-blob-type': 'BlockBlob' } });
      expect(response.status).toBe(201);
      expect((await b.stat(`${key}.put`))?.hash).toEqual({ algorithm: 'md5', value: md5('via SAS') });
    });
  });

  describe('SAS URLs', () => {
    it('refuses an expired, a tampered or a wrong-permission SAS', async () => {
      const b = await backend();
      const key = `${folder()}/sas.txt`;
      await put(b, key, 'secret');
      // 3 s, not 1: the expiry has whole seconds, and a loaded machine must still get its first fetch in.
      const signedAt = Date.now();
      const url = await b.presignGet!(key, { expiresIn: 3, disposition: 'attachment; filename="s.txt"' });
      expect((await fetch(url)).status).toBe(200);
      const tampered = new URL(url);
      tampered.searchParams.set('se', new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'));
      expect((await fetch(tampered)).status).toBe(403);
      const put403 = await fetch(url, { method: 'PUT', body: 'overwrite', headers: { 'x-ms-blob-type': 'BlockBlob' } });
      expect(put403.status).toBe(403);
      expect((await get(b, key)).toString()).toBe('secret');
      await new Promise((resolve) => setTimeout(resolve, signedAt + 4100 - Date.now()));
      expect((await fetch(url)).status).toBe(403);
    });

    it('signs names with special characters, under a prefix', async () => {
      const base = folder();
      const b = await create({ ...account, container, prefix: `${base}/pre fix` });
      const key = 'dir/ü #?&%.txt';
      await put(b, key, 'special');
      const response = await fetch(await b.presignGet!(key, { expiresIn: 60 }));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('special');
    });
  });

  describe('behaviour', () => {
    it('enforces ifNotExists at commit when two writers race', async () => {
      const b = await backend();
      const key = `${folder()}/race.txt`;
      const results = await Promise.allSettled(
        ['first', 'second', 'third'].map((text) =>
          b.write(key, Readable.from([Buffer.from(text)]), { ifNotExists: true }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_EXISTS' });
      }
      expect(['first', 'second', 'third']).toContain((await get(b, key)).toString());
    });

    it('aborts an upload in flight, leaving nothing behind', async () => {
      const b = await create({ ...account, container, blockSize: MiB });
      const key = `${folder()}/aborted.bin`;
      const controller = new AbortController();
      let sent = 0;
      const slow = new Readable({
        read() {
          sent += 1;
          if (sent === 3) setTimeout(() => controller.abort(), 10);
          setTimeout(() => this.push(Buffer.alloc(MiB, sent)), sent > 3 ? 50 : 0);
        },
      });
      await expectUfsError(b.write(key, slow, { signal: controller.signal }), 'ABORTED');
      expect(slow.destroyed).toBe(true);
      expect(await b.stat(key)).toBeNull();
    });

    it('stores metadata names and values Azure cannot hold verbatim, readable back unchanged', async () => {
      const b = await backend();
      const key = `${folder()}/meta.txt`;
      const metadata = {
        owner: 'ufs',
        'x-note': 'hello',
        Camel: 'Case',
        ünï: 'välue €',
        spaced: ' padded ',
        ufsx_trick: 'ufsx:b64:no',
      };
      await b.write(key, Readable.from([Buffer.from('m')]), {
        metadata,
        cacheControl: 'max-age=60',
        contentType: 'text/x-test',
      });
      expect(await b.stat(key)).toMatchObject({ metadata, cacheControl: 'max-age=60', contentType: 'text/x-test' });
      const stored = (await raw.getBlobClient(key).getProperties()).metadata!;
      expect(stored.owner).toBe('ufs');
      expect(Object.keys(stored).every((name) => /^[a-z_][a-z0-9_]*$/.test(name))).toBe(true);
      await b.copy!(key, `${key}.2`, { metadata: { 'new-name': 'only' } });
      expect((await b.stat(`${key}.2`))?.metadata).toEqual({ 'new-name': 'only' });
    });

    it('guesses the content type from the name when none is given', async () => {
      const b = await backend();
      const key = `${folder()}/page.html`;
      await put(b, key, '<p>');
      expect((await b.stat(key))?.contentType).toBe('text/html');
    });

    it('synthesises folders in stat, reads past the end as empty, and protects non-empty folders', async () => {
      const b = await backend();
      const base = folder();
      await put(b, `${base}/d/e/f.txt`, 'f');
      expect(await b.stat(`${base}/d`)).toEqual({ key: `${base}/d`, isDir: true, isFile: false, size: 0 });
      expect(await b.stat('')).toMatchObject({ isDir: true });
      expect((await get(b, `${base}/d/e/f.txt`, { start: 5 })).length).toBe(0);
      const error = await expectUfsError(b.delete(`${base}/d`), 'INVALID_INPUT');
      expect(error.message).toMatch(/folder that is not empty/);
      await b.delete(`${base}/d`, { recursive: true });
      expect(await b.stat(`${base}/d`)).toBeNull();
    });

    it('deletes more than one listing page recursively', async () => {
      const b = await backend();
      const base = folder();
      const names = Array.from({ length: 40 }, (_, i) => `${base}/many/${i % 4}/${i}.txt`);
      await Promise.all(names.map((name) => put(b, name, name)));
      // 40 files and the 4 folders they are in.
      expect(await listAll(b, `${base}/many`, { recursive: true, pageSize: 7 })).toHaveLength(44);
      await b.delete(`${base}/many`, { recursive: true });
      expect(await listAll(b, `${base}/many`, { recursive: true })).toEqual([]);
    });
  });
});
