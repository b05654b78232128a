// mkdir on S3 (a real radosgw) writes a zero-byte `key/` marker object, as OpenDAL's S3 backend and the AWS console
// do: the folder is there for stat and listings before anything is written in it, and mkdir keeps the semantics it
// has on every backend (ALREADY_EXISTS unless existOk, NOT_FOUND with context.missing for a missing parent without
// `parents`). Deleting the empty folder removes the marker.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../../src/index.js';
import { rejectsWith } from '../helpers.js';
import { s3Fixture } from '../services/s3.js';

const fixture = await s3Fixture('mkdir');
let storage: StorageManager;
let prefix = '';
let run = 0;
beforeEach(async () => {
  prefix = `run-${++run}`;
  storage = new StorageManager();
  await storage.configure([
    { name: 's3', protocol: 's3', bucket: fixture.bucket, prefix, ...fixture.connection, forcePathStyle: true },
  ]);
});
afterEach(() => storage.dispose());

const node = (path: string) => storage.node(`s3:${path}`);
const objectExists = (key: string) =>
  fixture.raw.send(new HeadObjectCommand({ Bucket: fixture.bucket, Key: key })).then(
    () => true,
    () => false,
  );

describe('mkdir on S3', () => {
  it('makes a folder that stat and listings see (a "key/" marker object)', async () => {
    await node('newdir').mkdir();
    expect(await objectExists(`${prefix}/newdir/`)).toBe(true);
    expect(await node('newdir').stat()).toMatchObject({ isDir: true, isFile: false });
    expect((await node('').children()).map((n) => `${n.path}${n.listed?.isDir ? '/' : ''}`)).toEqual(['newdir/']);
    expect(await node('newdir').children()).toEqual([]);
  });

  it('a folder already there is ALREADY_EXISTS unless existOk; a file in the way is ALREADY_EXISTS', async () => {
    await node('twice').mkdir();
    const again = await rejectsWith(node('twice').mkdir(), 'ALREADY_EXISTS');
    expect(again.message).toContain('the folder already exists');
    await node('twice').mkdir({ existOk: true });
    await node('implied/file.txt').writeText('x');
    await rejectsWith(node('implied').mkdir(), 'ALREADY_EXISTS');
    await rejectsWith(node('implied/file.txt').mkdir({ existOk: true }), 'ALREADY_EXISTS');
  });

  it('a missing parent is NOT_FOUND naming it, unless parents', async () => {
    const error = await rejectsWith(node('top/gone/new').mkdir(), 'NOT_FOUND');
    expect(error.context).toMatchObject({ operation: 'mkdir', missing: 's3:top/gone' });
    expect(await node('top').exists()).toBe(false);
    await node('top/gone/new').mkdir({ parents: true });
    expect(await node('top/gone/new').isDir()).toBe(true);
    expect(await node('top/gone').isDir()).toBe(true);
    await node('top/gone/other').mkdir();
    expect(await node('top/gone/other').isDir()).toBe(true);
  });

  it('an empty folder is deleted with its marker; files written into it list as usual', async () => {
    await node('box').mkdir();
    await node('box/a.txt').writeText('a');
    expect((await node('box').children()).map((n) => n.path)).toEqual(['box/a.txt']);
    const recursive = [];
    for await (const entry of node('').list({ recursive: true })) recursive.push(entry.path);
    expect(recursive).toEqual(['box', 'box/a.txt']);
    await node('box/a.txt').delete();
    expect(await node('box').isDir()).toBe(true);
    await node('box').delete();
    expect(await node('box').exists()).toBe(false);
    expect(await objectExists(`${prefix}/box/`)).toBe(false);
  });
});
