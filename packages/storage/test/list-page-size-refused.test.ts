// Every backend refuses the same list `pageSize` values — 0, negative, fractional, not a finite number — with
// INVALID_INPUT naming the option, the mount and the folder, before anything is looked at (a folder that is not
// there too), instead of taking some as 1 (Azure, GCS and Dropbox did) and refusing them elsewhere. Against the real
// services that can run here: local and memory mounts, radosgw (S3), OpenSSH (SFTP), azurite, the fake GCS JSON API,
// webdav-server, the Dropbox fake, and a zip archive on a memory mount.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { startDropboxFake, startWebdavServer } from '@org/test-services';
import { StorageManager, type MountConfig } from '../src/index.js';
import { pageSizeRefusal } from '../src/util/paginate.js';
import { buildZip } from './fakes/zip-builder.js';
import { rejectsWith } from './helpers.js';
import { startBlobStores } from './services/blob-stores.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const fixture = await s3Fixture('page-size');
const stores = await startBlobStores('page-size');
const sshd = await sftpEndpoint();
const dropbox = await startDropboxFake();
dropbox.tokens.add('page-size-token');
const dav = await startWebdavServer('basic');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-page-size-')));
mkdirSync(join(base, 'local'));
const storage = new StorageManager({ env: {} });
afterAll(async () => {
  await storage.dispose();
  rmSync(base, { recursive: true, force: true });
  await Promise.all([stores.stop(), sshd.stop(), dropbox.close(), dav.stop()]);
}, 30_000);

const MOUNTS: MountConfig[] = [
  { name: 'disk', protocol: 'local', root: join(base, 'local') },
  { name: 'mem', protocol: 'memory' },
  { name: 'bucket', protocol: 's3', bucket: fixture.bucket, ...fixture.connection, forcePathStyle: true },
  sftpMount(sshd, base, 'ssh'),
  ...stores.mounts('page-size'),
  { name: 'dav', protocol: 'webdav', url: dav.url, username: dav.username, password: dav.password },
  { name: 'box', protocol: 'dropbox', apiBaseUrl: dropbox.url, accessToken: 'page-size-token' },
  { name: 'site', protocol: 'zip', archive: 'mem:site.zip' },
];
/** The mounts whose listings are recursive natively (the others refuse it as UNSUPPORTED, or walk it). */
const RECURSIVE = new Set(['disk', 'mem', 'bucket', 'az', 'gcs', 'box', 'site']);

beforeAll(async () => {
  await storage.configure(MOUNTS);
  await storage.node('mem:site.zip').writeBytes(await buildZip([{ name: 'dir/a.txt', data: Buffer.from('a') }]));
  for (const mount of MOUNTS.map((m) => m.name).filter((m) => m !== 'site')) {
    await storage.node(`${mount}:dir/a.txt`).writeText('a');
    await storage.node(`${mount}:dir/b.txt`).writeText('b');
  }
}, 60_000);

const REFUSED: unknown[] = [0, -1, -1000, 1.5, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '2', null];

describe('a refused pageSize', () => {
  it('says what is wrong with it, naming the option', () => {
    expect(pageSizeRefusal(0)).toBe('the "pageSize" option must be a whole number of at least 1, got 0');
    expect(pageSizeRefusal('2')).toBe('the "pageSize" option must be a whole number of at least 1, got "2"');
    expect(pageSizeRefusal(1.5)).toContain('got 1.5');
    for (const ok of [undefined, 1, 1000, 100_000]) expect(pageSizeRefusal(ok)).toBeUndefined();
  });

  describe.each(MOUNTS.map((m): [string, string] => [m.name, String(m.protocol)]))('on %s (%s)', (mount) => {
    const backend = (): StorageBackend => storage.resolveMount(mount).backend();

    it('is INVALID_INPUT naming the option, the mount and the folder, one level or recursive', async () => {
      const recursive = RECURSIVE.has(mount) ? [false, true] : [false];
      for (const size of REFUSED) {
        for (const folder of ['dir', 'missing']) {
          for (const deep of recursive) {
            const err = await rejectsWith(
              backend().list(folder, { pageSize: size as number, recursive: deep }),
              'INVALID_INPUT',
            );
            expect(err.message).toMatch(/^\[ufs\] /);
            expect(err.message).toContain(`"${mount}:${folder}"`);
            expect(err.message).toContain(pageSizeRefusal(size));
            expect(err.context).toMatchObject({ mount, operation: 'list' });
          }
        }
      }
    });

    it('is refused through the node API too, and a page size of 1 gives pages of one entry', async () => {
      for (const recursive of [false, true]) {
        // Recursive on SFTP and WebDAV (without Depth: infinity): the generic walk, refusing it the same way.
        const err = await rejectsWith(
          storage.node(`${mount}:dir`).listPage({ pageSize: 0, recursive }),
          'INVALID_INPUT',
        );
        expect(err.message).toMatch(/^\[ufs\] /);
        expect(err.message).toContain(`"${mount}:dir"`);
        expect(err.message).toContain('the "pageSize" option must be a whole number of at least 1, got 0');
      }
      const first = await backend().list('dir', { pageSize: 1 });
      expect(first.entries.map((e) => e.key)).toEqual(['dir/a.txt']);
      if (mount === 'site') return;
      const second = await backend().list('dir', { pageSize: 1, cursor: first.cursor });
      expect(second.entries.map((e) => e.key)).toEqual(['dir/b.txt']);
    });
  });
});
