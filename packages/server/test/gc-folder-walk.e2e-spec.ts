// A content mount without a recursive listing (WebDAV without `Depth: infinity`; SFTP is the same): gc and verify
// walk it one folder at a time, temporary uploads included, instead of failing on the recursive listing the mount
// does not offer. A real server over a real WebDAV server (webdav-server) serving a temp folder.
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startWebdavServer, type WebdavTestServer } from '@org/test-services';
import { openContentMount, type ContentMount } from '../src/index.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const old = new Date(Date.now() - 2 * 3600_000);

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('gc and verify on a WebDAV content mount (no recursive listing)', () => {
  let dav: WebdavTestServer;
  let mount: ContentMount;
  let server: TestServer;

  /** A file put straight into the served folder, dated two hours ago. */
  async function plant(key: string, body: string | Buffer): Promise<string> {
    const path = join(dav.dir, key);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, body);
    await utimes(path, old, old);
    return path;
  }

  beforeAll(async () => {
    dav = await startWebdavServer();
    mount = await openContentMount({
      protocol: 'webdav',
      url: dav.url,
      username: dav.username,
      password: dav.password,
    });
    expect(mount.backend.capabilities.recursiveList).toBe(false);
    server = await startServer({ content: mount.backend, logLevels: ['error'] });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    await mount?.dispose();
    await dav?.stop();
  });

  it('gc finds an orphan and a stale temporary upload in sub-folders and removes them; content in use stays', async () => {
    const c = client(server.url, server.key);
    const kept = Buffer.from('content with a record');
    const keptHash = sha256Of(kept);
    const put = await c.call('POST', '/put_file', fileRecord({ sha256: keptHash, file_size: kept.length }));
    expect(put.status).toBe(201);
    const upload = await fetch(`${server.url}/files/${keptHash}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: kept,
    });
    expect(upload.status).toBeLessThan(300);

    const orphanBody = 'an object no record knows';
    const orphanHash = sha256Of(orphanBody);
    const orphan = await plant(`${orphanHash.slice(0, 2)}/${orphanHash}`, orphanBody);
    const temp = await plant('_tmp/.ufs-upload-killed-write', Buffer.alloc(4096, 1));

    const dry = await c.call('POST', '/admin/gc', { grace_seconds: 0, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, tempObjects: 1, orphansCount: 1, orphans: [orphanHash] });
    expect(await exists(orphan)).toBe(true);

    const gc = await c.call('POST', '/admin/gc', { grace_seconds: 0 });
    expect(gc.status).toBe(200);
    expect(gc.json).toMatchObject({ tempObjects: 1, orphansCount: 1 });
    expect(await exists(orphan)).toBe(false);
    expect(await exists(temp)).toBe(false);
    expect(await exists(join(dav.dir, keptHash.slice(0, 2), keptHash))).toBe(true);

    const verify = await c.call('POST', '/admin/verify', {});
    expect(verify.status).toBe(200);
    expect(JSON.stringify(verify.json)).not.toContain('UNSUPPORTED');
    expect(verify.json).toMatchObject({ checked: 1 });
  });
});
