// The checked-in backend registry against the folders under src/backends, its aliases, and every URL scheme a
// backend's URL parser reads reaching that backend through StorageManager (as a user's config does).
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BACKEND_LOADERS, PROTOCOL_ALIASES, knownProtocols, resolveProtocol } from '../src/registry.js';
import { StorageManager } from '../src/index.js';

const backendsDir = fileURLToPath(new URL('../src/backends/', import.meta.url));

describe('backend registry', () => {
  let storage: StorageManager | undefined;
  afterEach(async () => {
    await storage?.dispose();
    storage = undefined;
  });

  it('lists exactly the backend folders in src/backends, each loading the backend of its name', async () => {
    const folders = (await readdir(backendsDir, { withFileTypes: true })).filter((e) => e.isDirectory());
    expect(knownProtocols()).toEqual(folders.map((e) => e.name).sort());
    for (const protocol of knownProtocols()) expect((await BACKEND_LOADERS[protocol]!()).protocol).toBe(protocol);
  });

  it('every alias names a known protocol, and no alias shadows one', () => {
    for (const [alias, protocol] of Object.entries(PROTOCOL_ALIASES)) {
      expect([alias, knownProtocols().includes(protocol)]).toEqual([alias, true]);
      expect(knownProtocols()).not.toContain(alias);
    }
  });

  it.each([
    ['webdav://u:p@127.0.0.1:1/dav', 'webdav', 'http://127.0.0.1:1/dav'],
    ['dav://127.0.0.1:1/dav', 'webdav', 'http://127.0.0.1:1/dav'],
    ['webdavs://u:p@dav.example.com/files', 'webdav', 'https://dav.example.com/files'],
    ['davs://dav.example.com/files', 'webdav', 'https://dav.example.com/files'],
  ])('a %s mount reaches the %s backend', async (url, protocol, served) => {
    storage = new StorageManager();
    await storage.addMount('m', url);
    expect(storage.getMount('m').protocol).toBe(protocol);
    expect(resolveProtocol(new URL(url).protocol.slice(0, -1))).toBe(protocol);
    const definition = await BACKEND_LOADERS[protocol]!();
    expect(definition.fromUrl!(new URL(url))).toMatchObject({ url: served });
  });
});
