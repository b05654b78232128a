// mkdir without `parents` below a folder that is not there is NOT_FOUND with `context.missing`: the folder that is
// missing, in the form of `context.path` (`mount:key`), so that callers (the CLI's "use -p" hint) decide on it, not on the wording.
// Other refusals of mkdir carry no `missing`. On real backends: local (temp folder), memory, WebDAV (webdav-server),
// SFTP (OpenSSH sshd), Dropbox (the local fake of its API).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { UfsError, type StorageBackend } from '@org/core';
import dropbox from '../src/backends/dropbox/index.js';
import sftp from '../src/backends/sftp/index.js';
import webdav from '../src/backends/webdav/index.js';
import { StorageManager } from '../src/index.js';
import { startDropboxFake, startWebdavServer } from '@org/test-services';
import { rejectsWith } from './helpers.js';
import { sftpEndpoint } from './services/sftp.js';

const base = mkdtempSync(join(tmpdir(), 'ufs-mkdir-missing-'));
mkdirSync(join(base, 'sftp'));
const dav = await startWebdavServer('basic');
const sshd = await sftpEndpoint();
const box = await startDropboxFake();
box.tokens.add('token');
const storage = new StorageManager();
afterAll(async () => {
  try {
    await storage.dispose();
  } finally {
    await Promise.allSettled([dav.stop(), sshd.stop(), box.close()]);
    rmSync(base, { recursive: true, force: true });
  }
}, 30_000);

const mounted = async (name: string, backend: StorageBackend | Promise<StorageBackend>) => {
  await storage.mountBackend(name, await backend);
  return name;
};

await storage.configure([
  { name: 'local', protocol: 'local', root: join(base, 'local') },
  { name: 'memory', protocol: 'memory' },
]);
const MOUNTS: [string, string, (parent: string) => string][] = [
  ['local', 'local', (parent) => `local:${parent}`],
  ['memory', 'memory', (parent) => `memory:${parent}`],
  [
    'webdav',
    await mounted(
      'dav',
      webdav.create(webdav.options.parse({ url: dav.url, username: dav.username, password: dav.password }), {
        mountName: 'dav',
        env: {},
      }),
    ),
    (parent) => `dav:${parent}`,
  ],
  [
    'sftp',
    await mounted(
      'sftp',
      sftp.create(
        sftp.options.parse({
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKeyPath: sshd.privateKeyPath,
          hostFingerprint: sshd.hostFingerprint,
          root: join(base, 'sftp'),
        }),
        { mountName: 'sftp', env: {} },
      ),
    ),
    (parent) => `sftp:${parent}`,
  ],
  [
    'dropbox',
    await mounted(
      'box',
      dropbox.create(dropbox.options.parse({ accessToken: 'token', apiBaseUrl: box.url, root: 'Apps/mkdir' }), {
        mountName: 'box',
        env: {},
      }),
    ),
    (parent) => `box:${parent}`,
  ],
];

describe.each(MOUNTS)('mkdir on %s', (_, mount, missingAs) => {
  const node = (path: string) => storage.node(`${mount}:${path}`);

  it('a missing parent is NOT_FOUND naming it in context.missing, as context.path names the folder', async () => {
    await node('top').mkdir({ parents: true, existOk: true });
    const error = await rejectsWith(node('top/gone/new').mkdir(), 'NOT_FOUND');
    expect(error.context).toMatchObject({ operation: 'mkdir', missing: missingAs('top/gone') });
    expect(String(error.context.path)).toMatch(/top\/gone\/new$/);
    await node('top/gone/new').mkdir({ parents: true });
    expect(await node('top/gone/new').isDir()).toBe(true);
  });

  it('other refusals carry no context.missing; below a file is not NOT_FOUND', async () => {
    await node('there').mkdir({ parents: true, existOk: true });
    const exists = await rejectsWith(node('there').mkdir(), 'ALREADY_EXISTS');
    expect(exists.context.missing).toBeUndefined();
    await node('file.txt').writeText('x');
    const below = await node('file.txt/sub')
      .mkdir()
      .then(
        () => undefined,
        (err: UfsError) => err,
      );
    // INVALID_INPUT "is a file, not a folder" (WebDAV servers answer 403: PERMISSION_DENIED)
    expect(below).toBeInstanceOf(UfsError);
    expect(below!.code).not.toBe('NOT_FOUND');
    expect(below!.context.missing).toBeUndefined();
  });
});
