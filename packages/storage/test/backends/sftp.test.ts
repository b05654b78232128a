// The sftp backend against a real OpenSSH sshd on 127.0.0.1 (@org/test-services "sftp"): the contract suite, then
// what is particular to SFTP: authentication and host keys, error mapping, root confinement with symlinks,
// reconnecting after the connection drops, race-safe ifNotExists.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { describeBackendContract, expectUfsError, get, put, readAll } from '@org/storage-testing';
import { freePort } from '@org/test-services';
import definition from '../../src/backends/sftp/index.js';
import { StorageManager, unreadableOf } from '../../src/index.js';
import { sftpEndpoint, tcpProxy } from '../services/sftp.js';

const MiB = 1024 * 1024;
const sshd = await sftpEndpoint();
const base = mkdtempSync(join(tmpdir(), 'ufs-sftp-test-'));
const root = join(base, 'root');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
writeFileSync(join(outside, 'secret.txt'), 'not yours');

const connection = {
  host: sshd.host,
  port: sshd.port,
  username: sshd.username,
  privateKeyPath: sshd.privateKeyPath,
  hostFingerprint: sshd.hostFingerprint,
};
const created: StorageBackend[] = [];
async function create(options: Record<string, unknown> = {}): Promise<StorageBackend> {
  const backend = await definition.create(definition.options.parse({ ...connection, root, ...options }), {
    mountName: 'sftp-test',
    env: {},
  });
  created.push(backend);
  return backend;
}

afterAll(async () => {
  try {
    for (const backend of created) await backend.dispose?.();
  } finally {
    rmSync(base, { recursive: true, force: true });
    await sshd.stop();
  }
}, 30_000);

describeBackendContract('sftp (OpenSSH sshd)', { backend: await create() }, { largeBytes: 24 * MiB });

describe('sftp options', () => {
  const parse = (o: Record<string, unknown>) => definition.options.safeParse(o);

  it('requires host key verification unless insecureSkipHostKeyCheck is explicit', () => {
    const result = parse({ host: 'h', username: 'u', password: 'p' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(/hostFingerprint.*ssh-keyscan/);
    expect(parse({ host: 'h', username: 'u', password: 'p', insecureSkipHostKeyCheck: 'true' }).success).toBe(true);
    expect(parse({ host: 'h', username: 'u', password: 'p', hostFingerprint: 'SHA256:short' }).success).toBe(false);
  });

  it('requires a credential, and only one kind of private key', () => {
    const fp = { hostFingerprint: sshd.hostFingerprint };
    expect(JSON.stringify(parse({ host: 'h', username: 'u', ...fp }).error?.issues)).toMatch(/password.*privateKey/);
    expect(parse({ host: 'h', username: 'u', privateKey: 'k', privateKeyPath: '/k', ...fp }).success).toBe(false);
    expect(parse({ host: 'h', username: 'u', password: 'p', port: '70000', ...fp }).success).toBe(false);
    expect(parse({ host: 'h', username: 'u', password: 'p', ...fp }).data).toMatchObject({
      port: 22,
      root: '',
      fsync: true,
    });
  });

  it('reads sftp:// URLs', () => {
    const fp = 'SHA256:PfuwhD9sIgdeOd1kNFNSAbYiHn4u5PrDQEYUpN3XYqI';
    const url = new URL(
      `sftp://deploy:p%40ss@files.example.com:2222/srv/data?privateKeyPath=/keys/id&hostFingerprint=${fp.replace('+', '%2B')}`,
    );
    expect(definition.fromUrl!(url)).toEqual({
      host: 'files.example.com',
      port: '2222',
      username: 'deploy',
      password: 'p@ss',
      root: '/srv/data',
      privateKeyPath: '/keys/id',
      hostFingerprint: fp,
    });
    // An unencoded "+" in the query reads as a space: put back for fingerprints.
    const plus = definition.fromUrl!(new URL('sftp://u@h/~/in/home?hostFingerprint=SHA256:a+b'));
    expect(plus).toMatchObject({ root: 'in/home', hostFingerprint: 'SHA256:a+b' });
    expect(definition.fromUrl!(new URL('sftp://u@h'))).toMatchObject({ host: 'h', root: '' });
    expect(definition.options.safeParse(definition.fromUrl!(url)).success).toBe(true);
  });

  it('reports an unreadable privateKeyPath as CONFIG_INVALID', async () => {
    await expectUfsError(create({ privateKeyPath: join(base, 'no-such-key') }), 'CONFIG_INVALID');
  });
});

describe('sftp connections and errors', () => {
  it('refuses a wrong key with PERMISSION_DENIED', async () => {
    const keyFile = join(base, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const backend = await create({ privateKeyPath: keyFile });
    const error = await expectUfsError(backend.stat('x'), 'PERMISSION_DENIED');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/authentication failed/);
  });

  it('refuses a host whose key does not match, naming the key it presented', async () => {
    const backend = await create({ hostFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const error = await expectUfsError(backend.stat('x'), 'PERMISSION_DENIED');
    expect(error.message).toContain(sshd.hostFingerprint);
    expect(error.message).toMatch(/host key verification failed/);
  });

  it('accepts the host by its public key line too', async () => {
    const backend = await create({ hostFingerprint: undefined, hostKey: sshd.hostPublicKey });
    await put(backend, 'by-host-key.txt', 'ok');
    expect((await get(backend, 'by-host-key.txt')).toString()).toBe('ok');
  });

  it('maps a refused connection to UNAVAILABLE, retryable', async () => {
    const backend = await create({ port: await freePort() });
    const error = await expectUfsError(backend.stat('x'), 'UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/connection refused/);
  });

  it('reports a missing root as CONFIG_INVALID', async () => {
    const backend = await create({ root: join(base, 'nowhere') });
    await expectUfsError(backend.list(''), 'CONFIG_INVALID');
  });

  it('reconnects after the connection drops, and fails a read cut mid-way with UNAVAILABLE', async () => {
    const proxy = await tcpProxy(sshd.port);
    try {
      const backend = await create({ host: '127.0.0.1', port: proxy.port });
      await backend.write('reconnect/big.bin', Readable.from([Buffer.alloc(8 * MiB, 7)]));
      expect(proxy.accepted).toBe(1);
      proxy.dropAll();
      // Straight after the drop: the dead session is noticed and the stat runs on a new connection.
      expect(await backend.stat('reconnect/big.bin')).toMatchObject({ size: 8 * MiB });
      expect(proxy.accepted).toBe(2);

      const stream = await backend.read('reconnect/big.bin');
      const reading = readAll(stream);
      await new Promise((resolve) => stream.once('data', resolve));
      proxy.dropAll();
      const error = await expectUfsError(reading, 'UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect((await get(backend, 'reconnect/big.bin')).length).toBe(8 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it('is unusable after dispose()', async () => {
    const backend = await create();
    await backend.stat('');
    await backend.dispose!();
    await expectUfsError(backend.stat(''), 'UNAVAILABLE');
  });
});

describe('sftp root confinement', () => {
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync(outside, join(root, 'outside-link'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
  mkdirSync(join(root, 'inner'));
  writeFileSync(join(root, 'inner', 'real.txt'), 'inside');
  symlinkSync(join(root, 'inner'), join(root, 'inner-link'));

  it('refuses paths through a symlink to /etc', async () => {
    const backend = await create();
    await expectUfsError(backend.read('etc-link/passwd'), 'PERMISSION_DENIED');
    await expectUfsError(backend.stat('etc-link/hostname'), 'PERMISSION_DENIED');
    await expectUfsError(backend.list('etc-link'), 'PERMISSION_DENIED');
    // The link itself is inside the root and is described as neither file nor folder (as on a local mount).
    expect(await backend.stat('etc-link')).toMatchObject({ isFile: false, isDir: false, size: 0 });
  });

  it('refuses writes, appends, mkdirs and renames through an escaping symlink', async () => {
    const backend = await create();
    await expectUfsError(put(backend, 'outside-link/planted.txt', 'x'), 'PERMISSION_DENIED');
    await expectUfsError(backend.append!('secret-link.txt', Readable.from([Buffer.from('x')])), 'PERMISSION_DENIED');
    await expectUfsError(backend.mkdir('outside-link/dir', { parents: true }), 'PERMISSION_DENIED');
    await put(backend, 'movable.txt', 'm');
    await expectUfsError(backend.rename!('movable.txt', 'outside-link/moved.txt'), 'PERMISSION_DENIED');
    await expectUfsError(backend.delete('outside-link/secret.txt'), 'PERMISSION_DENIED');
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
  });

  it('never follows escaping symlinks in listings (reported, not listed) and follows those that stay inside', async () => {
    const backend = await create();
    const listed = (await backend.list('')).entries;
    for (const name of ['etc-link', 'outside-link', 'secret-link.txt']) {
      const entry = listed.find((e) => e.key === name);
      expect(entry).toMatchObject({ isFile: false, isDir: false });
      expect(unreadableOf(entry!)?.code).toBe('PERMISSION_DENIED');
    }
    const entries = (await backend.list('')).entries;
    expect(entries.find((e) => e.key === 'inner-link')).toMatchObject({ isDir: true, isLink: true });
    expect(entries.find((e) => e.key === 'inner')).not.toHaveProperty('isLink');
    expect((await get(backend, 'inner-link/real.txt')).toString()).toBe('inside');
  });

  it('a recursive listing shows a link to a folder but does not walk into it (as on a local mount)', async () => {
    const storage = new StorageManager();
    try {
      await storage.configure([{ name: 'remote', protocol: 'sftp', ...connection, root }]);
      const keys: string[] = [];
      for await (const node of storage.node('remote:').list({ recursive: true })) keys.push(node.path);
      expect(keys).toContain('inner-link');
      expect(keys).toContain('inner/real.txt');
      expect(keys).not.toContain('inner-link/real.txt');
    } finally {
      await storage.dispose();
    }
  });

  it('deletes a symlink itself, never what it points to', async () => {
    const backend = await create();
    symlinkSync(outside, join(root, 'doomed-link'));
    await backend.delete('doomed-link', { recursive: true });
    expect(existsSync(join(root, 'doomed-link'))).toBe(false);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('confines to a root given relative to the login folder as well', async () => {
    // The login folder of the test user is its home (sshd runs on this machine).
    const backend = await create({ root: relative(userInfo().homedir, root) });
    expect(await backend.stat('inner/real.txt')).toMatchObject({ isFile: true, size: 6 });
  });
});

describe('sftp semantics', () => {
  it('lets exactly one of many concurrent ifNotExists writes win', async () => {
    const backend = await create();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        backend.write('race/once.txt', Readable.from([Buffer.from(`writer ${i}`)]), { ifNotExists: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_EXISTS' });
    }
    expect((await get(backend, 'race/once.txt')).toString()).toMatch(/^writer \d$/);
    expect(readdirSync(join(root, 'race'))).toEqual(['once.txt']);
  });

  it('leaves no temporary file behind a failed write', async () => {
    const backend = await create();
    const failing = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await expectUfsError(backend.write('failed/x.bin', failing));
    await expectUfsError(backend.write('failed/y.bin', Readable.from([Buffer.alloc(10)]), { size: 20 }), 'INTEGRITY');
    expect(readdirSync(join(root, 'failed'))).toEqual([]);
  });

  it('refuses a non-recursive delete of a non-empty folder, and native recursive listing', async () => {
    const backend = await create();
    await put(backend, 'full/a.txt', 'a');
    await expectUfsError(backend.delete('full'), 'INVALID_INPUT');
    expect(existsSync(join(root, 'full', 'a.txt'))).toBe(true);
    await expectUfsError(backend.list('full', { recursive: true }), 'UNSUPPORTED');
    await expectUfsError(backend.read('full'), 'INVALID_INPUT');
  });

  it('reads a start past the end as empty, and refuses to list a file', async () => {
    const backend = await create();
    await put(backend, 'short.txt', 'short');
    expect(await get(backend, 'short.txt', { start: 100 })).toEqual(Buffer.alloc(0));
    await expectUfsError(backend.list('short.txt'), 'INVALID_INPUT');
    await expectUfsError(backend.read('short.txt', { start: 3, end: 1 }), 'INVALID_INPUT');
  });

  it('keeps paging stable when entries are added between pages', async () => {
    const backend = await create();
    for (const n of ['b', 'd', 'f']) await put(backend, `paging/${n}`, n);
    const first = await backend.list('paging', { pageSize: 2 });
    await put(backend, 'paging/a', 'a');
    const second = await backend.list('paging', { pageSize: 2, cursor: first.cursor });
    expect([...first.entries, ...second.entries].map((e) => e.key)).toEqual(['paging/b', 'paging/d', 'paging/f']);
  });
});
