// Keys are NFC (`normalizeKey`), so a mount URL typed in NFD (`cafe\u0301`, as macOS keyboards and file names give it)
// names the same folder as one typed in NFC (`caf\u00e9`): two WebDAV mounts of one server at `/café/`, one spelt each
// way (plain or percent-encoded), reach one folder and are one storage, so a copy or move of a folder into itself is
// refused up front (INVALID_INPUT). The same holds for the service URLs of Azure and GCS mounts (`serviceBase`).
// Against the real webdav-server.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { locationOf, serviceBase } from '../src/util/location.js';
import { rejectsWith } from './helpers.js';
import { startWebdavServer } from '@org/test-services';

const dav = await startWebdavServer();
afterAll(() => dav.stop(), 30_000);

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';

let storage: StorageManager;
let run = '';

function davMount(name: string, below: string) {
  return { name, protocol: 'webdav', url: `${dav.url}${below}`, username: dav.username, password: dav.password };
}

describe.each([
  ['plain', (folder: string) => folder],
  ['percent-encoded', (folder: string) => encodeURIComponent(folder)],
])('two WebDAV mounts of one folder, its name typed in NFC and in NFD (%s)', (_how, spell) => {
  beforeEach(async () => {
    run = `r${randomBytes(3).toString('hex')}`;
    storage = new StorageManager({ env: {} });
    await storage.configure([
      davMount('dav', ''),
      davMount('nfc', `${run}/${spell(NFC)}/`),
      davMount('nfd', `${run}/${spell(NFD)}/`),
    ]);
    // Written through the server's root mount: the folder is `café` in NFC, as every key is.
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      await storage.node(`dav:${run}/${NFC}/${name}`).writeText(name);
  });
  afterEach(() => storage.dispose());

  async function unchanged(): Promise<void> {
    for (const name of ['a.txt', 'b/c.txt', 'b/d/e.txt'])
      expect(await storage.node(`nfc:${name}`).readText()).toBe(name);
    expect(await storage.node('nfc:b/copy').exists()).toBe(false);
    expect(await storage.node('nfc:b/inner').exists()).toBe(false);
  }

  it('reach one folder, the one keys spelt either way name', async () => {
    expect(await storage.node('nfd:a.txt').readText()).toBe('a.txt');
    expect(await storage.node(`dav:${run}/${NFC}/b/c.txt`).readText()).toBe('b/c.txt');
    expect(await storage.node(`dav:${run}/${NFD}/b/c.txt`).readText()).toBe('b/c.txt');
    await storage.node('nfd:f.txt').writeText('from nfd');
    expect(await storage.node('nfc:f.txt').readText()).toBe('from nfd');
  });

  it('are one storage: the same location', async () => {
    const where = async (mount: string, key: string) => {
      const { backend, key: inner } = storage.resolveMount(mount).locate(key);
      return (await locationOf(backend, inner))?.url;
    };
    const url = await where('nfc', 'b');
    expect(url).toBe(`webdav://${new URL(dav.url).host}/${run}/${NFC}/b`);
    expect(await where('nfd', 'b')).toBe(url);
    expect(await where('dav', `${run}/${NFC}/b`)).toBe(url);
  });

  it('refuse to copy a folder into itself', async () => {
    const error = await rejectsWith(copyNode(storage.node('nfc:b'), storage.node('nfd:b/copy')), 'INVALID_INPUT');
    expect(error.message).toContain('the destination is inside the source folder');
    await unchanged();
  });

  it('refuse to move a folder into itself', async () => {
    const error = await rejectsWith(moveNode(storage.node('nfd:b'), storage.node('nfc:b/inner')), 'INVALID_INPUT');
    expect(error.message).toContain('the destination is inside the source folder');
    await unchanged();
  });

  it('refuse a file onto itself under the other name', async () => {
    const error = await rejectsWith(copyNode(storage.node('nfd:a.txt'), storage.node('nfc:a.txt')), 'INVALID_INPUT');
    expect(error.message).toContain('source and destination are the same file');
    await unchanged();
  });
});

describe('serviceBase', () => {
  it('gives one base for a path in NFC and in NFD, plain or percent-encoded', () => {
    const expected = `webdav://127.0.0.1:8080/dav/${NFC}`;
    for (const folder of [NFC, NFD, encodeURIComponent(NFC), encodeURIComponent(NFD)])
      expect(serviceBase('webdav', `http://127.0.0.1:8080/dav/${folder}/`)).toBe(expected);
    // Azure (an emulator's account in the path) and GCS (an endpoint with a path) alike.
    expect(serviceBase('azure', `http://127.0.0.1:10000/${encodeURIComponent(NFD)}/box?sv=x`)).toBe(
      `azure://127.0.0.1:10000/${NFC}/box`,
    );
    expect(serviceBase('gcs', `http://localhost:4443/${NFD}`, 'bkt')).toBe(`gcs://localhost:4443/${NFC}/bkt`);
  });
});
