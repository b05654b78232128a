// What the README tells a cleaner of temporary files: a listing of one folder with `includeTemporary` marks them on
// local, SFTP and WebDAV mounts alike; a recursive one works where the backend lists recursively (local, WebDAV with
// depthInfinity) and is UNSUPPORTED on SFTP and on WebDAV with its default settings.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EntryStat, StorageBackend } from '@org/core';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';
import { startWebdavServer } from '@org/test-services';

const dav = await startWebdavServer();
const sshd = await sftpEndpoint();
afterAll(async () => Promise.all([dav.stop(), sshd.stop()]), 30_000);

let local: { path: string; cleanup: () => Promise<void> };
let remote: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const davAuth = { protocol: 'webdav', url: dav.url, username: dav.username, password: dav.password };
const TEMP: Record<string, string> = {
  loc: '.ufs-4c92894a82c8-1.tmp',
  sf: '.ufs-upload-4c92894a82c8',
  dav: '.ufs-upload-4c92894a82c8',
  davdeep: '.ufs-upload-4c92894a82c8',
};

beforeEach(async () => {
  local = await tempDir();
  remote = await tempDir();
  for (const [root, name] of [
    [local.path, TEMP.loc!],
    [remote.path, TEMP.sf!],
    [dav.dir, TEMP.dav!],
  ] as const) {
    await mkdir(join(root, 'd/e'), { recursive: true });
    await writeFile(join(root, 'd/e', name), 'partial');
    await writeFile(join(root, 'd/e/kept.txt'), 'kept');
  }
  storage = new StorageManager({ env: {} });
  await storage.configure([
    { name: 'loc', protocol: 'local', root: local.path },
    sftpMount(sshd, remote.path, 'sf'),
    { name: 'dav', ...davAuth },
    { name: 'davdeep', ...davAuth, depthInfinity: true },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await Promise.all([local.cleanup(), remote.cleanup()]);
});

const backendOf = (mount: string): StorageBackend => storage.node(`${mount}:`).mount.backend();

/** Every temporary file below `key`, one folder at a time. */
async function temporaryFiles(backend: StorageBackend, key: string): Promise<string[]> {
  const found: string[] = [];
  const { entries } = await backend.list(key, { includeTemporary: true });
  for (const entry of entries) {
    if (entry.temporary) found.push(entry.key);
    if (entry.isDir) found.push(...(await temporaryFiles(backend, entry.key)));
  }
  return found;
}

describe.each(['loc', 'sf', 'dav', 'davdeep'])('%s', (mount) => {
  it('marks temporary files in listings of one folder', async () => {
    expect(await temporaryFiles(backendOf(mount), '')).toEqual([`d/e/${TEMP[mount]}`]);
    const { entries } = await backendOf(mount).list('d/e', {});
    expect(entries.map((e: EntryStat) => e.key)).toEqual(['d/e/kept.txt']);
  });

  it('answers a recursive listing as its capabilities say', async () => {
    const backend = backendOf(mount);
    const recursive = backend.list('', { recursive: true, includeTemporary: true });
    if (backend.capabilities.recursiveList) {
      const { entries } = await recursive;
      expect(entries.filter((e) => e.temporary).map((e) => e.key)).toEqual([`d/e/${TEMP[mount]}`]);
    } else {
      await rejectsWith(recursive, 'UNSUPPORTED');
    }
    expect(backend.capabilities.recursiveList).toBe(mount === 'loc' || mount === 'davdeep');
  });
});
