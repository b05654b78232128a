// A write of `x` racing a write of `x/y` on a real WebDAV server (webdav-server): the MOVE of `x`'s temporary upload
// must never replace the folder `x` the other write creates meanwhile (RFC 4918 §9.9.3: `Overwrite: T` deletes it
// whole). Whatever the order, each write either succeeds and its file is there, or fails with INVALID_INPUT naming
// its path; no temporary upload is left behind.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import webdav from '../src/backends/webdav/index.js';
import { StorageManager } from '../src/index.js';
import { startWebdavServer, type WebdavTestServer } from '@org/test-services';

let dav: WebdavTestServer;
const storage = new StorageManager();

beforeAll(async () => {
  dav = await startWebdavServer('basic');
  const options = webdav.options.parse({ url: dav.url, username: dav.username, password: dav.password });
  await storage.mountBackend('dav', await webdav.create(options, { mountName: 'dav', env: {} }));
});
afterAll(async () => {
  await storage.dispose();
  await dav.stop();
});

async function outcome(write: Promise<unknown>): Promise<'ok' | UfsError> {
  try {
    await write;
    return 'ok';
  } catch (err) {
    if (err instanceof UfsError) return err;
    throw err;
  }
}

async function kindOf(path: string): Promise<'file' | 'folder' | 'none'> {
  const stat = await lstat(path).catch(() => null);
  return stat === null ? 'none' : stat.isDirectory() ? 'folder' : 'file';
}

async function temporaries(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((name) => name.split('/').some((segment) => segment.startsWith('.ufs-upload-')));
}

describe('WebDAV: a write of "x" racing a write of "x/y"', () => {
  it('never replaces the folder, never reports a success that is not stored', async () => {
    const rounds = 40;
    const seen = { file: 0, folder: 0 };
    for (let round = 0; round < rounds; round++) {
      const x = `race${round}/x`;
      const [file, nested] = await Promise.all([
        outcome(storage.node(`dav:${x}`).writeText('file x')),
        outcome(storage.node(`dav:${x}/y`).writeText('file x/y')),
      ]);
      const onDisk = join(dav.dir, `race${round}`, 'x');
      for (const [result, key] of [
        [file, x],
        [nested, `${x}/y`],
      ] as const) {
        if (result === 'ok') continue;
        expect(result.code).toBe('INVALID_INPUT');
        expect(result.message).toContain(`"dav:${key}"`);
        expect(result.message).toMatch(/is a file, not a folder|is a folder, not a file/);
      }
      // Exactly one of the two can be stored, and the one reported stored is there.
      expect([file, nested].filter((r) => r === 'ok')).toHaveLength(1);
      if (file === 'ok') {
        expect(await kindOf(onDisk)).toBe('file');
        expect(await readFile(onDisk, 'utf8')).toBe('file x');
        seen.file++;
      } else {
        expect(await kindOf(onDisk)).toBe('folder');
        expect(await readFile(join(onDisk, 'y'), 'utf8')).toBe('file x/y');
        seen.folder++;
      }
      // Settle the temporary-upload cleanup (it looks once more after 150 ms).
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await temporaries(dav.dir)).toEqual([]);
    }
    expect(seen.file + seen.folder).toBe(rounds);
  }, 180_000);

  it('a write onto a file replaces it; a write onto a folder is INVALID_INPUT and leaves it whole', async () => {
    await storage.node('dav:again/x').writeText('one');
    await storage.node('dav:again/x').writeText('two');
    expect(await readFile(join(dav.dir, 'again', 'x'), 'utf8')).toBe('two');
    await storage.node('dav:again/d/kept').writeText('kept');
    const error = await outcome(storage.node('dav:again/d').writeText('no'));
    expect(error).toBeInstanceOf(UfsError);
    expect((error as UfsError).code).toBe('INVALID_INPUT');
    expect(await readFile(join(dav.dir, 'again', 'd', 'kept'), 'utf8')).toBe('kept');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await temporaries(dav.dir)).toEqual([]);
  });
});
