// localPath({ mode: 'write' }) and call() with a write-mode output: the parent folders made for the output are removed
// again (only those, only while empty) when nothing is written back — a discarded handle, a failed program, a
// program that made no file. Checked on a local mount and on mounts without local files (WebDAV, SFTP).
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir, tree } from './helpers.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';
import { startWebdavServer } from '@org/test-services';

const dav = await startWebdavServer();
const sshd = await sftpEndpoint();
afterAll(async () => Promise.all([dav.stop(), sshd.stop()]), 30_000);

let dir: { path: string; cleanup: () => Promise<void> };
let sftpDir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  sftpDir = await tempDir();
  storage = new StorageManager({ env: {} });
  await storage.configure([
    { name: 'd', protocol: 'local', root: dir.path },
    { name: 'dav', protocol: 'webdav', url: dav.url, username: dav.username, password: dav.password },
    sftpMount(sshd, sftpDir.path, 'sf'),
  ]);
  await storage.node('d:keep/k.txt').writeText('kept');
});
afterEach(async () => {
  await storage.dispose();
  await Promise.all([dir.cleanup(), sftpDir.cleanup()]);
});

async function listing(mount: string): Promise<string[]> {
  const entries: string[] = [];
  for await (const entry of storage.node(`${mount}:`).list({ recursive: true })) entries.push(entry.path);
  return entries.sort();
}

describe('on a local mount', () => {
  it('localPath write mode then discard() leaves no folders behind', async () => {
    const handle = await storage.node('d:x/y/z.txt').localPath({ mode: 'write' });
    await writeFile(handle.path, 'dropped');
    await handle.discard();
    expect(await tree(dir.path)).toEqual(['keep', 'keep/k.txt']);
  });

  it('localPath write mode closed without a file made leaves no folders behind', async () => {
    const handle = await storage.node('d:x/y/z.txt').localPath({ mode: 'write' });
    await handle.close();
    expect(await listing('d')).toEqual(['keep', 'keep/k.txt']);
  });

  it('a failed program leaves no folders behind', async () => {
    await rejectsWith(
      storage.call('/bin/false', [{ node: storage.node('d:out/2024/report.txt'), mode: 'write' }]),
      'UNEXPECTED',
    );
    expect(await listing('d')).toEqual(['keep', 'keep/k.txt']);
  });

  it('only the folders the handle made are removed, and only while empty', async () => {
    const handle = await storage.node('d:keep/new/deeper/z.txt').localPath({ mode: 'write' });
    await mkdir(`${dir.path}/keep/new/other`);
    await handle.discard();
    // keep/ existed before; keep/new/ got another folder meanwhile, so it stays; keep/new/deeper/ goes.
    expect(await listing('d')).toEqual(['keep', 'keep/k.txt', 'keep/new', 'keep/new/other']);
  });

  it('a successful write keeps its folders', async () => {
    await storage.call('/bin/sh', ['-c', 'echo hi > "$0"', { node: storage.node('d:out/2024/r.txt'), mode: 'write' }]);
    expect(await storage.node('d:out/2024/r.txt').readText()).toBe('hi\n');
  });
});

describe.each(['dav', 'sf'])('on a mount without local files (%s)', (mount) => {
  it('localPath write mode then discard() creates no folders', async () => {
    const handle = await storage.node(`${mount}:x/y/z.txt`).localPath({ mode: 'write' });
    await writeFile(handle.path, 'dropped');
    await handle.discard();
    expect(await listing(mount)).toEqual([]);
  });

  it('a failed program creates no folders', async () => {
    const node = storage.node(`${mount}:out/2024/report.txt`);
    await rejectsWith(storage.call('/bin/false', [{ node, mode: 'write' }]), 'UNEXPECTED');
    expect(await listing(mount)).toEqual([]);
  });
});
