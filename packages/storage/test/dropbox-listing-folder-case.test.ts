// Dropbox only promises the casing of the last component of `path_display`: a file uploaded as `photos/two.txt` into
// the folder `Photos` shows `photos` above it. A recursive listing names each entry below the folder key the listing
// gave for its folder, so one folder never splits in two (on a copy: `Photos/one.txt` and `photos/two.txt`), also
// across pages. Against the local API fake, which keeps each path's display as it was written.
import { randomBytes } from 'node:crypto';
import { readdir, realpath } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { startDropboxFake } from '@org/test-services';
import { tempDir } from './helpers.js';

const fake = await startDropboxFake();
afterAll(() => fake.close());
fake.tokens.add('case-list-token');

let storage: StorageManager;
let out: { path: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  out = await tempDir('ufs-dropbox-case-');
  storage = new StorageManager();
  await storage.configure([
    {
      name: 'box',
      protocol: 'dropbox',
      apiBaseUrl: fake.url,
      accessToken: 'case-list-token',
      root: `Apps/l${randomBytes(3).toString('hex')}`,
    },
    { name: 'out', protocol: 'local', root: await realpath(out.path) },
  ]);
  const box = storage.node('box:').backend;
  await box.write('Photos/one.txt', Readable.from([Buffer.from('1')]));
  // Written through another spelling of the folder: Dropbox keeps the folder, the fake shows this path's own case.
  await box.write('photos/two.txt', Readable.from([Buffer.from('2')]));
  await box.write('PHOTOS/Trip/three.txt', Readable.from([Buffer.from('3')]));
});
afterEach(async () => {
  await storage.dispose();
  await out.cleanup();
});

describe('Dropbox: a recursive listing', () => {
  it('names every entry below the folder as the listing gave it', async () => {
    const paths: string[] = [];
    for await (const node of storage.node('box:').list({ recursive: true })) paths.push(node.path);
    expect(paths.sort()).toEqual([
      'Photos',
      'Photos/Trip',
      'Photos/Trip/three.txt',
      'Photos/one.txt',
      'Photos/two.txt',
    ]);
  });

  it('keeps the folder case from page to page', async () => {
    const backend = storage.node('box:').backend;
    const keys: string[] = [];
    let page = await backend.list('', { recursive: true, pageSize: 1 });
    keys.push(...page.entries.map((e) => e.key));
    while (page.cursor !== undefined) {
      page = await backend.list('', { recursive: true, pageSize: 1, cursor: page.cursor });
      keys.push(...page.entries.map((e) => e.key));
    }
    expect(keys.sort()).toEqual(['Photos', 'Photos/Trip', 'Photos/Trip/three.txt', 'Photos/one.txt', 'Photos/two.txt']);
  });

  it('a copy of the tree makes one folder', async () => {
    const summary = await copyNode(storage.node('box:'), storage.node('out:c'));
    expect([summary.files, summary.errors]).toEqual([3, []]);
    expect(await readdir(`${await realpath(out.path)}/c`)).toEqual(['Photos']);
    expect((await readdir(`${await realpath(out.path)}/c/Photos`)).sort()).toEqual(['Trip', 'one.txt', 'two.txt']);
  });
});
