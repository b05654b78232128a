// One shape for the errors about a key of a mount, whichever layer raises them: the backend (a read of a missing
// file) or the node layer above it (a stat of a missing file, a path that names a folder, an operation the mount
// refuses). Both read `[ufs] [<protocol>] <operation> "<mount>:<key>": …` with the context filled alike, so that
// the two cannot drift apart again.
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeContext, type ErrorCode, type StorageBackend, type UfsError, type WriteOptions } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { MemoryBackend, StorageManager } from '../src/index.js';
import { startDropboxFake, AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, startWebdavServer } from '@org/test-services';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { startStaticServer } from './fakes/static-http-server.js';
import { buildZip } from './fakes/zip-builder.js';
import { slow } from './fault.js';
import { rejectsWith, tempDir } from './helpers.js';
import { createBucket, rawClient, removeBucket, s3Endpoint } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-error-shapes-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root: join(dir.path, 'disk') },
    { name: 'mem', url: 'memory://' },
    { name: 'ro', url: 'memory://', permissions: 'readonly' },
    { name: 'docs', path: 'disk:team/docs' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** The shape every such error has: its message starts with the prefix its context describes. */
function expectShape(error: UfsError, protocol: string, mount: string, operation: string, key: string): void {
  expect(error.context).toMatchObject({ backend: protocol, mount, operation, path: `${mount}:${key}` });
  expect(error.message.startsWith(`${describeContext(error.context)} `)).toBe(true);
  expect(error.message.startsWith(`[ufs] [${protocol}] ${operation} "${mount}:${key}": `)).toBe(true);
}

describe.each([
  ['disk', 'local'],
  ['mem', 'memory'],
])('errors of mount %s (%s)', (mount, protocol) => {
  it('a backend error and a node-layer error of the same mount have the same shape', async () => {
    const node = storage.node(`${mount}:missing.txt`);
    // Raised by the backend itself.
    const read = await rejectsWith(node.readText(), 'NOT_FOUND');
    // Raised by the node layer (the backend's stat answers null).
    const stat = await rejectsWith(node.stat(), 'NOT_FOUND');
    expectShape(read, protocol, mount, 'read', 'missing.txt');
    expectShape(stat, protocol, mount, 'stat', 'missing.txt');
    expect(stat.message).toBe(`[ufs] [${protocol}] stat "${mount}:missing.txt": no such file or folder`);
    const { operation: _r, ...fromBackend } = read.context;
    const { operation: _s, ...fromNode } = stat.context;
    expect(fromNode).toEqual(fromBackend);
  });

  it('every node-layer helper names the key the same way', async () => {
    await storage.node(`${mount}:t.txt`).writeText('t');
    const slashed = await rejectsWith(storage.node(`${mount}:t.txt/`).stat(), 'INVALID_INPUT');
    expectShape(slashed, protocol, mount, 'stat', 't.txt/');
    const onto = await rejectsWith(storage.node(`${mount}:t.txt/`).writeText('x'), 'INVALID_INPUT');
    expectShape(onto, protocol, mount, 'write', 't.txt/');
    const hash = await rejectsWith(storage.node(`${mount}:`).hash(), 'INVALID_INPUT');
    expectShape(hash, protocol, mount, 'hash', '');
    const url = await rejectsWith(storage.node(`${mount}:t.txt`).url(), 'UNSUPPORTED');
    expectShape(url, protocol, mount, 'url', 't.txt');
    const version = await rejectsWith(
      Promise.resolve().then(() => storage.node(`${mount}:t.txt`).atVersion('v1')),
      'UNSUPPORTED',
    );
    expectShape(version, protocol, mount, 'atVersion', 't.txt');
    // The copy engine's refusal to overwrite names the destination the same way.
    await storage.node(`${mount}:u.txt`).writeText('u');
    const summary = await copyNode(storage.node(`${mount}:t.txt`), storage.node(`${mount}:u.txt`), {
      overwrite: false,
    });
    expect(summary.errors.map((e) => e.error.code)).toEqual(['ALREADY_EXISTS']);
    expect(summary.errors[0]!.error.message).toBe(
      `[ufs] copy "${mount}:t.txt" → "${mount}:u.txt": [${protocol}] copy "${mount}:u.txt": already exists (overwrite: false)`,
    );
  });
});

describe('mounts that are not a plain backend mount', () => {
  it('a readonly mount: the refusal names its protocol and the key in the mount', async () => {
    const refused = await rejectsWith(storage.node('ro:a.txt').writeText('no'), 'PERMISSION_DENIED');
    expectShape(refused, 'memory', 'ro', 'write', 'a.txt');
    expect(refused.message).toBe('[ufs] [memory] write "ro:a.txt": mount "ro" is readonly');
    // The permission layer under the node layer says it alike.
    const layer = await rejectsWith(storage.node('ro:').backend.mkdir('b', {}), 'PERMISSION_DENIED');
    expectShape(layer, 'memory', 'ro', 'mkdir', 'b');
  });

  it("a relative mount: its parent's protocol and its own name and key", async () => {
    const missing = await rejectsWith(storage.node('docs:gone.txt').stat(), 'NOT_FOUND');
    expectShape(missing, 'local', 'docs', 'stat', 'gone.txt');
  });

  it('a mounted backend instance: its protocol, also for what it throws that is not a UfsError', async () => {
    const backend = new MemoryBackend({ mountName: 'own' });
    backend.read = async () => {
      throw new TypeError('broken');
    };
    await storage.mountBackend('own', backend);
    const error = await rejectsWith(storage.node('own:x.txt').readText(), 'UNEXPECTED');
    expectShape(error, 'memory', 'own', 'read', 'x.txt');
    expect(error.message).toBe('[ufs] [memory] read "own:x.txt": broken');
  });

  it('a timeout layer names the key in its mount', async () => {
    const slowed = slow(new MemoryBackend({ mountName: 'slow' }), 5_000, ['stat']).backend;
    await storage.mountBackend('slow', slowed, { layers: [{ type: 'timeout', ms: 30 }] });
    const error = await rejectsWith(storage.node('slow:a.txt').stat(), 'TIMEOUT');
    expectShape(error, 'memory', 'slow', 'stat', 'a.txt');
    expect(error.message).toBe('[ufs] [memory] stat "slow:a.txt": timed out after 30 ms');
  });

  it('a listing report of an entry that cannot be read names it as the backend does', async () => {
    await storage.node('disk:ok.txt').writeText('ok');
    await symlink('loop', join(dir.path, 'disk', 'loop'));
    const reported: UfsError[] = [];
    await storage.node('disk:').children({ onUnreadable: (e) => reported.push(e) });
    expect(reported).toHaveLength(1);
    const [report] = reported as [UfsError];
    expect(report.message).toMatch(/^\[ufs\] \[local\] list "disk:loop": left out of the listing: /);
    expectShape(report, 'local', 'disk', 'list', 'loop');
    // The backend's own error, kept as the cause, names the entry the same way.
    expect((report.cause as UfsError).message).toMatch(/^\[ufs\] \[local\] \w+ "disk:loop": /);
  });
});

// Every backend that can run here, each against its real server, emulator or local fake (as its own test file
// runs it): an error the backend raises itself and one the node layer raises have the same shape, and so do the
// backend's other errors about a key.
const sshd = await sftpEndpoint();
const s3 = await s3Endpoint();
const s3raw = rawClient(s3);
const bucket = `ufs-shapes-${randomBytes(3).toString('hex')}`;
await createBucket(s3raw, bucket);
const dav = await startWebdavServer();
const azurite = await startAzurite();
const gcs = await startGcsFixture();
const dropbox = await startDropboxFake();
dropbox.tokens.add('shapes-token');
const web = await startStaticServer({ 'here.txt': Buffer.from('here') });
const remote = await tempDir('ufs-error-shapes-remote-');
const sftpRoot = join(remote.path, 'sftp');
await mkdir(sftpRoot);
await mkdir(join(remote.path, 'disk'));
await writeFile(join(remote.path, 'disk', 'a.zip'), await buildZip([{ name: 'in.txt', data: Buffer.from('in') }]));
const remoteStorage = new StorageManager();
await remoteStorage.configure([
  { name: 'disk', protocol: 'local', root: join(remote.path, 'disk') },
  { name: 'archive', protocol: 'zip', archive: 'disk:a.zip' },
  { name: 'inline', protocol: 'base64' },
  { name: 'web', protocol: 'http', baseUrl: web.url },
  {
    name: 'bucket',
    protocol: 's3',
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  },
  sftpMount(sshd, sftpRoot, 'ssh'),
  { name: 'dav', url: dav.url.replace('http://', `webdav://${dav.username}:${dav.password}@`) },
  {
    name: 'blobs',
    protocol: 'azure',
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint: azurite.blobEndpoint,
    container: `ufs-shapes-${randomBytes(3).toString('hex')}`,
    createContainer: true,
  },
  { name: 'cloud', protocol: 'gcs', ...gcs.base, bucket: 'ufs-plain', prefix: 'shapes' },
  { name: 'box', protocol: 'dropbox', accessToken: 'shapes-token', apiBaseUrl: dropbox.url, root: 'Apps/shapes' },
]);
afterAll(async () => {
  try {
    await remoteStorage.dispose();
    await removeBucket(s3raw, bucket);
  } finally {
    s3raw.destroy();
    await Promise.all([s3.stop(), sshd.stop(), dav.stop(), azurite.stop(), gcs.close(), dropbox.close(), web.close()]);
    await remote.cleanup();
  }
}, 60_000);

/** `missing` is a key with nothing there (for base64, a key that cannot be content). */
describe.each([
  ['archive', 'zip', 'missing.txt'],
  ['inline', 'base64', 'missing.txt'],
  ['web', 'http', 'missing.txt'],
  ['bucket', 's3', 'missing.txt'],
  ['ssh', 'sftp', 'missing.txt'],
  ['dav', 'webdav', 'missing.txt'],
  ['blobs', 'azure', 'missing.txt'],
  ['cloud', 'gcs', 'missing.txt'],
  ['box', 'dropbox', 'missing.txt'],
])('errors of mount %s (%s)', (mount, protocol, missing) => {
  it('a backend error and a node-layer error of the same mount have the same shape', async () => {
    const node = remoteStorage.node(`${mount}:${missing}`);
    const read = await rejectsWith(node.readText(), 'NOT_FOUND');
    const stat = await rejectsWith(node.stat(), 'NOT_FOUND');
    expectShape(read, protocol, mount, 'read', missing);
    expectShape(stat, protocol, mount, 'stat', missing);
    const where = (e: UfsError) => ({ backend: e.context.backend, mount: e.context.mount, path: e.context.path });
    expect(where(stat)).toEqual(where(read));
  });
});

describe('the other errors of a backend name the key in its mount too', () => {
  const backendOf = (mount: string) => remoteStorage.node(`${mount}:`).backend;
  const write = (b: StorageBackend, key: string, text: string, options: WriteOptions = {}) =>
    b.write(key, Readable.from([Buffer.from(text)]), options);
  const check = async (site: [string, string], code: ErrorCode, op: string, key: string, run: Promise<unknown>) =>
    expectShape(await rejectsWith(run, code), site[1], site[0], op, key);

  it('s3: refusals before a request, and refusals of S3', async () => {
    const site: [string, string] = ['bucket', 's3'];
    const b = backendOf('bucket');
    await check(site, 'INVALID_INPUT', 'read', '', b.read(''));
    await check(site, 'INVALID_INPUT', 'read', 'a.txt', b.read('a.txt', { start: -1 }));
    await check(site, 'INVALID_INPUT', 'list', 'f', b.list('f', { pageSize: 0 }));
    await check(site, 'INVALID_INPUT', 'list', 'f', b.list('f', { cursor: 'nope' }));
    await check(site, 'INVALID_INPUT', 'list', 'f', b.list('f', { recursive: true, cursor: 'r.nope' }));
    await check(site, 'INVALID_INPUT', 'delete', 'f', b.delete('f', { recursive: true, versionId: 'v1' }));
    await check(site, 'INVALID_INPUT', 'presignGet', 'a.txt', b.presignGet!('a.txt', { expiresIn: 0 }));
    await check(site, 'INVALID_INPUT', 'write', 'a.txt', write(b, 'a.txt', 'a', { metadata: { 'bad name': 'x' } }));
    await check(site, 'UNSUPPORTED', 'versions', 'a.txt', b.versions!('a.txt'));
    await write(b, 'f/in.txt', 'in');
    await check(site, 'INVALID_INPUT', 'delete', 'f', b.delete('f'));
    await write(b, 'a.txt', 'a');
    await check(site, 'ALREADY_EXISTS', 'write', 'a.txt', write(b, 'a.txt', 'again', { ifNotExists: true }));
  });

  it.each([
    ['cloud', 'gcs'],
    ['blobs', 'azure'],
  ])('%s (%s): refusals before a request, and refusals of the service', async (mount, protocol) => {
    const site: [string, string] = [mount, protocol];
    const b = backendOf(mount);
    await check(site, 'INVALID_INPUT', 'read', '', b.read(''));
    await check(site, 'INVALID_INPUT', 'read', 'a.txt', b.read('a.txt', { start: -1 }));
    await check(site, 'UNSUPPORTED', 'stat', 'a.txt', b.stat('a.txt', { versionId: '1' }));
    await check(site, 'INVALID_INPUT', 'presignGet', 'a.txt', b.presignGet!('a.txt', { expiresIn: 0 }));
    await write(b, 'f/in.txt', 'in');
    await check(site, 'INVALID_INPUT', 'delete', 'f', b.delete('f'));
    if (b.versions) await check(site, 'UNSUPPORTED', 'versions', 'a.txt', b.versions('a.txt'));
  });

  it('zip: a missing archive is named as the key asked for', async () => {
    await remoteStorage.node('disk:a.zip').delete();
    const error = await rejectsWith(remoteStorage.node('archive:in.txt').readText(), 'NOT_FOUND');
    expectShape(error, 'zip', 'archive', 'read', 'in.txt');
    expect(error.message).toBe('[ufs] [zip] read "archive:in.txt": the archive "a.zip" is not on the source mount');
  });
});
