// The webdav backend against a real WebDAV server (npm webdav-server v2, physical file system in a temp folder):
// the contract suite in both write modes, then authentication, error mapping, percent-encoding, MOVE-based
// conditional writes and what the server does not do.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { describeBackendContract, expectUfsError, get, put, readAll } from '@org/storage-testing';
import { createClient } from 'webdav';
import definition from '../../src/backends/webdav/index.js';
import { freePort, startWebdavServer } from '@org/test-services';

const MiB = 1024 * 1024;
const server = await startWebdavServer('basic');
const digestServer = await startWebdavServer('digest');
const created: StorageBackend[] = [];
async function create(options: Record<string, unknown> = {}, on = server): Promise<StorageBackend> {
  const parsed = definition.options.parse({ url: on.url, username: on.username, password: on.password, ...options });
  const backend = await definition.create(parsed, { mountName: 'dav-test', env: {} });
  created.push(backend);
  return backend;
}

afterAll(async () => {
  try {
    for (const backend of created) await backend.dispose?.();
  } finally {
    await server.stop();
    await digestServer.stop();
  }
}, 30_000);

describeBackendContract(
  'webdav (webdav-server, atomic PUT+MOVE, Depth infinity, public URLs)',
  { backend: await create({ depthInfinity: true, publicBaseUrl: 'https://files.example.com/pub/' }) },
  { largeBytes: 24 * MiB },
);

describeBackendContract(
  'webdav (webdav-server, plain PUT)',
  { backend: await create({ atomicWrites: false }) },
  { largeBytes: 4 * MiB },
);

describe('webdav options', () => {
  it('validates the URL and the credentials', () => {
    const parse = (o: Record<string, unknown>) => definition.options.safeParse(o);
    expect(parse({}).error?.issues[0]?.message).toMatch(/"url" is required/);
    expect(parse({ url: 'ftp://host/x' }).success).toBe(false);
    expect(parse({ url: 'http://h/', password: 'p' }).success).toBe(false);
    expect(parse({ url: 'https://h/dav', depthInfinity: 'yes' }).data).toMatchObject({
      depthInfinity: true,
      atomicWrites: true,
      authType: 'basic',
    });
    expect(parse({ url: 'https://h/', client: {} }).success).toBe(false);
  });

  it('reads webdav:// and webdavs:// URLs', () => {
    expect(definition.fromUrl!(new URL('webdav://bob:s%3Ac@127.0.0.1:8080/remote/dav?depthInfinity=true'))).toEqual({
      url: 'http://127.0.0.1:8080/remote/dav',
      username: 'bob',
      password: 's:c',
      depthInfinity: 'true',
    });
    expect(definition.fromUrl!(new URL('webdavs://dav.example.com/files/me'))).toEqual({
      url: 'https://dav.example.com/files/me',
    });
    expect(definition.fromUrl!(new URL('davs://h'))).toMatchObject({ url: 'https://h/' });
  });

  it('declares capabilities from its options', async () => {
    const plain = await create({ atomicWrites: false });
    expect(plain.capabilities).toMatchObject({
      atomicWrite: false,
      conditionalWrite: false,
      recursiveList: false,
      publicUrl: false,
    });
    expect(plain.publicUrl).toBeUndefined();
    expect((await create({ depthInfinity: true })).capabilities).toMatchObject({
      recursiveList: true,
      atomicWrite: true,
    });
  });
});

describe('webdav errors', () => {
  it('maps a wrong password to PERMISSION_DENIED (basic and digest)', async () => {
    for (const on of [server, digestServer]) {
      const backend = await create({ password: 'wrong', authType: on === server ? 'basic' : 'digest' }, on);
      const error = await expectUfsError(backend.stat('x'), 'PERMISSION_DENIED');
      expect(error.retryable).toBe(false);
    }
  });

  it('streams uploads with digest authentication (digest, and auto meeting a digest server)', async () => {
    for (const authType of ['digest', 'auto']) {
      const backend = await create({ authType }, digestServer);
      await backend.write(`digest/${authType}.bin`, Readable.from([Buffer.alloc(3 * MiB, 1)]));
      expect(await backend.stat(`digest/${authType}.bin`)).toMatchObject({ size: 3 * MiB });
    }
    expect(readdirSync(join(digestServer.dir, 'digest')).sort()).toEqual(['auto.bin', 'digest.bin']);
  });

  it('maps a server that is down to UNAVAILABLE, retryable', async () => {
    const backend = await create({ url: `http://127.0.0.1:${await freePort()}/` });
    const error = await expectUfsError(backend.stat('x'), 'UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await expectUfsError(put(backend, 'x.txt', 'x'), 'UNAVAILABLE');
  });

  it('refuses recursive listing without depthInfinity, and a non-recursive delete of a full folder', async () => {
    const backend = await create();
    await put(backend, 'full/a.txt', 'a');
    await expectUfsError(backend.list('full', { recursive: true }), 'UNSUPPORTED');
    await expectUfsError(backend.delete('full'), 'INVALID_INPUT');
    expect(existsSync(join(server.dir, 'full', 'a.txt'))).toBe(true);
    await backend.delete('full', { recursive: true });
    expect(existsSync(join(server.dir, 'full'))).toBe(false);
  });

  it('ends an aborted read with ABORTED', async () => {
    const backend = await create();
    await backend.write('abort/big.bin', Readable.from([Buffer.alloc(8 * MiB, 2)]));
    const controller = new AbortController();
    const stream = await backend.read('abort/big.bin', { signal: controller.signal });
    await new Promise((resolve) => stream.once('data', resolve));
    controller.abort();
    await expectUfsError(readAll(stream), 'ABORTED');
  });
});

describe('webdav names and writes', () => {
  it('round-trips special characters: percent-encoded on the wire, literal on the server', async () => {
    const backend = await create();
    const names = [
      'a%20b.txt',
      'x y.txt',
      'q?.txt',
      'h#.txt',
      'plus+.txt',
      'ünï €.txt',
      "it's (1).txt",
      'semi;comma,at@=&.txt',
    ];
    for (const name of names) await put(backend, `special/${name}`, name);
    expect(readdirSync(join(server.dir, 'special')).sort()).toEqual([...names].sort());
    expect(readFileSync(join(server.dir, 'special', 'a%20b.txt'), 'utf8')).toBe('a%20b.txt');
    const listed = (await backend.list('special')).entries.map((e) => e.key.slice('special/'.length));
    expect(listed.sort()).toEqual([...names].sort());
    for (const name of names) expect((await get(backend, `special/${name}`)).toString()).toBe(name);
    await backend.rename!('special/a%20b.txt', 'special/moved %41.txt');
    expect(readdirSync(join(server.dir, 'special'))).toContain('moved %41.txt');
  });

  it('mounts a sub-collection whose URL needs percent-encoding', async () => {
    mkdirSync(join(server.dir, 'my dav ü'));
    const backend = await create({ url: `${server.url}my%20dav%20%C3%BC/` });
    await put(backend, 'sub dir/f #1.txt', 'below');
    expect(readFileSync(join(server.dir, 'my dav ü', 'sub dir', 'f #1.txt'), 'utf8')).toBe('below');
    expect((await backend.list('')).entries.map((e) => e.key)).toEqual(['sub dir']);
    expect((await backend.list('sub dir')).entries.map((e) => e.key)).toEqual(['sub dir/f #1.txt']);
    expect(await get(backend, 'sub dir/f #1.txt', { start: 100 })).toEqual(Buffer.alloc(0));
    // The file answers its own PROPFIND under its decoded name: it is known as a file, not listed as a folder.
    await expectUfsError(backend.list('sub dir/f #1.txt'), 'INVALID_INPUT');
  });

  it('enforces ifNotExists with MOVE Overwrite: F (concurrent writers)', async () => {
    const backend = await create();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        backend.write('race/once.txt', Readable.from([Buffer.from(`w${i}`)]), { ifNotExists: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(readdirSync(join(server.dir, 'race'))).toEqual(['once.txt']);
  });

  it('in plain PUT mode, still refuses ifNotExists on an existing key (checked first; the server ignores If-None-Match)', async () => {
    const backend = await create({ atomicWrites: false });
    await put(backend, 'plain/once.txt', 'first');
    await expectUfsError(
      backend.write('plain/once.txt', Readable.from([Buffer.from('second')]), { ifNotExists: true }),
      'ALREADY_EXISTS',
    );
    expect(readFileSync(join(server.dir, 'plain', 'once.txt'), 'utf8')).toBe('first');
  });

  it('fails a write whose source does not match the declared size, leaving nothing', async () => {
    const backend = await create();
    await expectUfsError(backend.write('sized/x.bin', Readable.from([Buffer.alloc(10)]), { size: 20 }), 'INTEGRITY');
    expect(readdirSync(join(server.dir, 'sized'))).toEqual([]);
  });

  it('reads a folder once for all its pages (PROPFIND has no paging); a cursor whose rest is gone still resumes', async () => {
    const client = createClient(server.url, { username: server.username, password: server.password });
    let propfinds = 0;
    const original = client.getDirectoryContents.bind(client);
    client.getDirectoryContents = ((...args: Parameters<typeof original>) => {
      propfinds++;
      return original(...args);
    }) as typeof client.getDirectoryContents;
    const backend = await create({ url: undefined, username: undefined, password: undefined, client });
    const names = Array.from({ length: 25 }, (_, i) => `paged/f${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await put(backend, name, name);
    propfinds = 0;
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await backend.list('paged', { pageSize: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.key));
      cursor = page.cursor;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    expect(seen).toEqual(names);
    expect(propfinds).toBe(1);
    // The same cursor again (a retried page): its rest was used, so the folder is read again, from after it.
    const again = await backend.list('paged', { pageSize: 10, cursor: cursors[1]! });
    expect(again.entries.map((e) => e.key)).toEqual(names.slice(20));
    expect(propfinds).toBe(2);
  });

  it('accepts a ready client', async () => {
    const client = createClient(server.url, { username: server.username, password: server.password });
    const backend = await create({ url: undefined, username: undefined, password: undefined, client });
    await put(backend, 'ready/client.txt', 'via a ready client');
    expect((await get(backend, 'ready/client.txt')).toString()).toBe('via a ready client');
  });
});
