// MKCOL answered 409 Conflict: the parent is not a folder (RFC 4918 §9.3.1). webdav-server says 409 only when the
// parent is missing (below a file it says 403); Apache mod_dav says 409 in both cases. The test server stands behind
// a small proxy that answers as Apache does (a 403 to MKCOL becomes 409; everything else passes unchanged).
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import webdav from '../src/backends/webdav/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { startWebdavServer, type WebdavTestServer } from '@org/test-services';

let dav: WebdavTestServer;
let proxy: Server;
const storage = new StorageManager();

beforeAll(async () => {
  dav = await startWebdavServer('basic');
  const upstream = new URL(dav.url);
  proxy = createServer((req, res) => {
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const status = req.method === 'MKCOL' && answer.statusCode === 403 ? 409 : answer.statusCode!;
        res.writeHead(status, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => res.destroy(err));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  const url = `http://127.0.0.1:${address.port}/`;
  const options = webdav.options.parse({ url, username: dav.username, password: dav.password });
  await storage.mountBackend('dav', await webdav.create(options, { mountName: 'dav', env: {} }));
});
afterAll(async () => {
  await storage.dispose();
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await dav.stop();
});

describe('WebDAV mkdir answered 409', () => {
  it('below a file: INVALID_INPUT "is a file, not a folder", no context.missing', async () => {
    await storage.node('dav:file.txt').writeText('x');
    const error = await rejectsWith(storage.node('dav:file.txt/sub').mkdir(), 'INVALID_INPUT');
    expect(error.message).toContain('"file.txt" is a file, not a folder');
    expect(error.context.missing).toBeUndefined();
  });

  it('below a folder that is not there: still NOT_FOUND naming it in context.missing', async () => {
    const error = await rejectsWith(storage.node('dav:gone/sub').mkdir(), 'NOT_FOUND');
    expect(error.context.missing).toBe('dav:gone');
  });
});
