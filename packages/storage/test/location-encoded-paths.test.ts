// A mount URL may spell characters of its path percent-encoded (`http://host/my%20dir/`) while keys are plain
// (`my dir/x`): two WebDAV mounts of one server, one of a folder below whose name has a space or non-ASCII
// characters, are still one storage, so a copy or move of a folder into itself is refused (INVALID_INPUT).
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { serviceBase } from '../src/util/location.js';
import { rejectsWith } from './helpers.js';
import { startWebdavServer } from '@org/test-services';

const dav = await startWebdavServer();
afterAll(() => dav.stop(), 30_000);

let storage: StorageManager;
let run = '';

function davMount(name: string, below: string) {
  return { name, protocol: 'webdav', url: `${dav.url}${below}`, username: dav.username, password: dav.password };
}

describe.each([
  ['a space', 'my dir'],
  ['non-ASCII characters', 'été à'],
])('a WebDAV mount of a folder whose name has %s, URL percent-encoded', (_what, folder) => {
  beforeEach(async () => {
    run = `r${randomBytes(3).toString('hex')}`;
    storage = new StorageManager({ env: {} });
    const below = `${run}/${encodeURIComponent(folder)}/`;
    await storage.configure([davMount('dav', ''), davMount('davsp', below)]);
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      await storage.node(`dav:${run}/${folder}/${name}`).writeText(name);
  });
  afterEach(() => storage.dispose());

  async function unchanged(): Promise<void> {
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      expect(await storage.node(`dav:${run}/${folder}/${name}`).readText()).toBe(name);
    expect(await storage.node(`dav:${run}/${folder}/copy`).exists()).toBe(false);
    expect(await storage.node(`dav:${run}/${folder}/inner`).exists()).toBe(false);
  }

  it('is where the other mount has it', async () => {
    expect(await storage.node('davsp:a.txt').readText()).toBe('a.txt');
  });

  it('refuses to copy the folder into itself', async () => {
    const error = await rejectsWith(
      copyNode(storage.node(`dav:${run}/${folder}`), storage.node('davsp:copy')),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('the destination is inside the source folder');
    await unchanged();
  });

  it('refuses to move the folder into itself', async () => {
    const error = await rejectsWith(
      moveNode(storage.node(`dav:${run}/${folder}`), storage.node('davsp:inner')),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('the destination is inside the source folder');
    await unchanged();
  });

  it('refuses a file onto itself under the other name', async () => {
    const error = await rejectsWith(
      copyNode(storage.node('davsp:a.txt'), storage.node(`dav:${run}/${folder}/a.txt`)),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('source and destination are the same file');
    await unchanged();
  });
});

describe('serviceBase', () => {
  it('gives one base for an encoded and a plain path', () => {
    expect(serviceBase('webdav', 'http://127.0.0.1:8080/my%20dir/%C3%A9t%C3%A9/')).toBe(
      'webdav://127.0.0.1:8080/my dir/été',
    );
    expect(serviceBase('webdav', 'http://127.0.0.1:8080/my dir/été/')).toBe('webdav://127.0.0.1:8080/my dir/été');
    expect(serviceBase('azure', 'http://127.0.0.1:10000/dev%20account/box?sv=x')).toBe(
      'azure://127.0.0.1:10000/dev account/box',
    );
    expect(serviceBase('gcs', 'http://LOCALHOST:4443/storage%2Fv1', 'bkt')).toBe('gcs://localhost:4443/storage/v1/bkt');
  });

  it('keeps a malformed escape as it is', () => {
    expect(serviceBase('webdav', 'http://h/100%zz/')).toBe('webdav://h/100%zz');
  });
});
