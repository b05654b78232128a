// A zip mount whose archive names an unknown mount lists the mounts there are: those already in place and those of
// the same configure() batch (they were missing: "(mounts: (none))" beside a batch that had some).
import { afterEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { StorageManager } from '../src/index.js';

let storage: StorageManager;
afterEach(() => storage.dispose());

async function configureError(mounts: Parameters<StorageManager['configure']>[0]): Promise<UfsError> {
  const err = await storage.configure(mounts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UfsError);
  expect((err as UfsError).code).toBe('CONFIG_INVALID');
  return err as UfsError;
}

describe('a zip mount naming an unknown source mount', () => {
  it('lists the mounts of the same batch', async () => {
    storage = new StorageManager();
    const err = await configureError([
      { name: 'files', protocol: 'local', root: '/tmp' },
      { name: 'cache', protocol: 'memory' },
      { name: 'z', protocol: 'zip', archive: 'file:mixed.zip' },
    ]);
    expect(err.message).toContain('"archive": mount "file" is not configured (mounts: cache, files)');
    expect(err.message).not.toContain('(none)');
  });

  it('lists the mounts already in place with those of the batch, each once', async () => {
    storage = new StorageManager();
    await storage.configure([
      { name: 'old', protocol: 'memory' },
      { name: 'files', protocol: 'memory' },
    ]);
    const err = await configureError([
      { name: 'files', protocol: 'memory' },
      { name: 'more', protocol: 'memory' },
      { name: 'z', url: 'zip://nowhere/a.zip' },
    ]);
    expect(err.message).toContain('mount "nowhere" is not configured (mounts: files, more, old)');
    // Nothing of the failed batch was installed.
    expect(storage.mountNames()).toEqual(['files', 'old']);
  });

  it('says (none) when there is no mount at all', async () => {
    storage = new StorageManager();
    const err = await configureError([{ name: 'z', protocol: 'zip', archive: 'nowhere:a.zip' }]);
    expect(err.message).toContain('mount "nowhere" is not configured (mounts: (none))');
  });
});
