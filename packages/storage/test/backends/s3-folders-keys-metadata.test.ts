// S3 against a real radosgw: a recursive delete deletes keys that XML cannot carry (one by one, beside the batch);
// mkdir({ parents }) writes the missing parents' markers, so deleting the new folder leaves them as on every backend
// with folders; a whole-folder move to real folders carries the empty (marker) folders; user metadata S3 would not
// give back as it was given is refused, and values it would trim are kept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { moveNode, StorageManager } from '../../src/index.js';
import { rejectsWith, tree } from '../helpers.js';
import { faultyClient, s3Fixture } from '../services/s3.js';

const fixture = await s3Fixture('fkm');
let storage: StorageManager;
let local = '';
let prefix = '';
let run = 0;
beforeEach(async () => {
  prefix = `run-${++run}`;
  local = await mkdtemp(join(tmpdir(), 'ufs-s3-fkm-'));
  storage = new StorageManager();
  await storage.configure([
    { name: 's3', protocol: 's3', bucket: fixture.bucket, prefix, ...fixture.connection, forcePathStyle: true },
    { name: 'data', protocol: 'local', root: local },
    { name: 'mem', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await rm(local, { recursive: true, force: true });
});

const node = (path: string) => storage.node(`s3:${path}`);
const objects = async (below = '') => {
  const page = await fixture.raw.send(
    new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: `${prefix}/${below}` }),
  );
  return (page.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
};
const put = (key: string) =>
  fixture.raw.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: `${prefix}/${key}`, Body: 'x' }));
const listed = async (path: string) => {
  const out: string[] = [];
  for await (const child of storage.node(path).list({ recursive: true })) out.push(child.path);
  return out.sort();
};

describe('recursive delete on S3', () => {
  it('deletes keys holding characters XML 1.0 cannot carry, with the rest', async () => {
    for (const key of ['logs/a.txt', 'logs/b.txt', 'logs/bad\u0001name.txt', 'logs/x\uffffy.txt', 'keep.txt']) {
      await put(key);
    }
    await node('logs').delete({ recursive: true });
    expect(await objects()).toEqual(['keep.txt']);
  });

  it('a DeleteObjects refused as a whole with a 400 falls back to one DeleteObject per key', async () => {
    for (const key of ['box/a.txt', 'box/b.txt', 'box/c/d.txt']) await put(key);
    const sent: string[] = [];
    // The real client, with the server's answer to DeleteObjects replaced by a 400 (as a body it cannot parse gets).
    const client = faultyClient(fixture.raw, (command) => {
      sent.push(command.constructor.name);
      if (command instanceof DeleteObjectsCommand) {
        throw new S3ServiceException({ name: 'MalformedXML', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
    });
    await storage.configure([
      { name: 'faulty', protocol: 's3', bucket: fixture.bucket, prefix, client, versioning: false },
    ]);
    await storage.node('faulty:box').delete({ recursive: true });
    expect(await objects()).toEqual([]);
    expect(sent.filter((name) => name === 'DeleteObjectCommand')).toHaveLength(4); // box itself, then 3 keys
  });
});

describe('mkdir with parents on S3', () => {
  it('writes the missing parents markers: deleting the new folder leaves its parents', async () => {
    await node('proj/a/b').mkdir({ parents: true });
    expect(await objects()).toEqual(['proj/', 'proj/a/', 'proj/a/b/']);
    await node('proj/a/b').delete();
    expect(await node('proj/a').isDir()).toBe(true);
    expect(await node('proj').isDir()).toBe(true);
    expect(await listed('s3:proj')).toEqual(['proj/a']);
  });

  it('writes no marker for a parent that exists as a prefix or a marker, and asks once per level', async () => {
    await put('top/file.txt');
    const sent: string[] = [];
    const client = faultyClient(fixture.raw, (command) => void sent.push(command.constructor.name));
    await storage.configure([
      { name: 'counted', protocol: 's3', bucket: fixture.bucket, prefix, client, versioning: false },
    ]);
    await storage.node('counted:top/mid/leaf').mkdir({ parents: true });
    // stat of the folder (HeadObject, ListObjectsV2), one listing for top/mid (missing), one for top (there).
    expect(sent).toEqual([
      'HeadObjectCommand',
      'ListObjectsV2Command',
      'ListObjectsV2Command',
      'ListObjectsV2Command',
      'PutObjectCommand',
      'PutObjectCommand',
    ]);
    expect(await objects()).toEqual(['top/file.txt', 'top/mid/', 'top/mid/leaf/']);
    await node('top/mid/other/deep').mkdir({ parents: true });
    expect(await objects()).toEqual([
      'top/file.txt',
      'top/mid/',
      'top/mid/leaf/',
      'top/mid/other/',
      'top/mid/other/deep/',
    ]);
  });
});

describe('moving an S3 folder to a backend with real folders', () => {
  it('carries its empty folders along and leaves nothing at the source', async () => {
    await node('project/x.txt').writeText('x');
    await node('project/empty/inner').mkdir({ parents: true });
    const summary = await moveNode(node('project'), storage.node('data:moved'));
    expect(summary.errors).toEqual([]);
    expect(await tree(local)).toEqual(['moved', 'moved/empty', 'moved/empty/inner', 'moved/x.txt']);
    expect(await listed('data:moved')).toEqual(['moved/empty', 'moved/empty/inner', 'moved/x.txt']);
    expect(await objects()).toEqual([]);
    expect(await node('project').exists()).toBe(false);
  });
});

describe('user metadata on S3', () => {
  it('refuses names S3 would change and the reserved name "mtime", naming the key', async () => {
    for (const name of ['a_b', 'Owner', 'mtime', 'MTIME']) {
      const error = await rejectsWith(node('m.txt').writeText('x', { metadata: { [name]: '1' } }), 'INVALID_INPUT');
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.message).toMatch(/^\[ufs\] /);
    }
    expect(await node('m.txt').exists()).toBe(false);
    await node('m.txt').writeText('x', { metadata: { ok: '1' } });
    await rejectsWith(node('m.txt').setMetadata({ mtime: 'tuesday' }), 'INVALID_INPUT');
    await rejectsWith(node('m.txt').setMetadata({ a_b: '1' }), 'INVALID_INPUT');
    const backend = node('').mount.backend();
    const copied = backend.copy!('m.txt', 'c.txt', { metadata: { Mtime: '2020-01-01T00:00:00Z' } });
    await rejectsWith(copied, 'INVALID_INPUT');
    expect(await node('c.txt').exists()).toBe(false);
    expect(await node('m.txt').stat()).toMatchObject({ metadata: { ok: '1' } });
  });

  it('keeps values as given, spaces at either end included', async () => {
    const metadata = { pad: '  v  ', tab: '\tx', inner: 'a  b', 'dot.name': 'é', plain: 'ascii' };
    await node('v.txt').writeText('x', { metadata, mtime: new Date('2021-02-03T04:05:06.789Z') });
    const stat = await node('v.txt').stat();
    expect(stat.metadata).toEqual(metadata);
    expect(stat.mtime).toEqual(new Date('2021-02-03T04:05:06.789Z'));
    await node('v.txt').setMetadata({ pad: ' w' });
    expect(await node('v.txt').stat()).toMatchObject({ metadata: { pad: ' w' } });
  });
});
