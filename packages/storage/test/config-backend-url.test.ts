// A mount with a `protocol` and a `url` of another scheme: the URL is the backend's own `url` option when it has one
// (WebDAV's collection URL, as docs/backends.md configures it), else refused as a mismatch. Against a real WebDAV
// server (webdav-server on a temp folder).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { expectUfsError } from '@org/storage-testing';
import { StorageManager } from '../src/index.js';
import { startWebdavServer } from '@org/test-services';

const server = await startWebdavServer('basic');
afterAll(() => server.stop(), 30_000);

describe('protocol with a url of another scheme', () => {
  it('is the WebDAV collection URL (the documented configuration)', async () => {
    writeFileSync(join(server.dir, 'hello.txt'), 'hello over dav');
    const storage = new StorageManager({ env: { DAV_PASSWORD: server.password! } });
    try {
      await storage.configure([
        { name: 'cloud', protocol: 'webdav', url: server.url, username: server.username, password: '${DAV_PASSWORD}' },
      ]);
      expect(await storage.node('cloud:hello.txt').readText()).toBe('hello over dav');
    } finally {
      await storage.dispose();
    }
  });

  it('is refused for a backend without a url option, naming both', async () => {
    const storage = new StorageManager({ env: {} });
    try {
      const error = await expectUfsError(
        storage.configure([{ name: 'files', protocol: 's3', url: 'https://bucket.example.com/x', bucket: 'b' }]),
        'CONFIG_INVALID',
      );
      expect(error.message).toBe('[ufs] mount "files": "protocol" "s3" does not match the URL scheme "https:"');
    } finally {
      await storage.dispose();
    }
  });
});
