// An atomic WebDAV write whose MOVE of the temporary upload into place loses its answer (a proxy on 127.0.0.1 lets
// the server do the MOVE, then resets the connection): the file was in place, yet the write failed with ECONNRESET
// (exit 69). After a network failure of the MOVE the write looks: the temporary file gone and the target a file of
// the size sent is success. A MOVE that never reached the server (the temporary file still there) stays the error.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { startWebdavServer, type WebdavTestServer } from '@org/test-services';
import webdav from '../src/backends/webdav/index.js';
import { StorageManager } from '../src/index.js';
import { lostAnswerProxy, type LostAnswerProxy } from './lost-answer-proxy.js';

let dav: WebdavTestServer;
let proxy: LostAnswerProxy;
const storage = new StorageManager();
/** What the next MOVE does: lose its answer after the server did it, or never reach the server. */
let nextMove: 'lose' | 'refuse' | undefined;

beforeAll(async () => {
  dav = await startWebdavServer('basic');
  proxy = await lostAnswerProxy(
    dav.url,
    (req) => {
      if (req.method !== 'MOVE' || nextMove === undefined) return false;
      if (nextMove === 'refuse') {
        nextMove = undefined;
        req.socket.resetAndDestroy(); // never forwarded: the server keeps the temporary file
        return false;
      }
      nextMove = undefined;
      return true;
    },
    Number.MAX_SAFE_INTEGER,
  );
  const options = webdav.options.parse({ url: proxy.url, username: dav.username, password: dav.password });
  await storage.mountBackend('dav', await webdav.create(options, { mountName: 'dav', env: {} }));
});
afterAll(async () => {
  await storage.dispose();
  await proxy.close();
  await dav.stop();
});

async function leftTemporaries(folder: string): Promise<string[]> {
  return (await readdir(join(dav.dir, folder))).filter((name) => name.startsWith('.ufs-upload-'));
}

describe('WebDAV MOVE whose answer is lost (webdav-server behind a proxy)', () => {
  it('the file in place and the temporary gone: success', async () => {
    const node = storage.node('dav:lost/moved.txt');
    nextMove = 'lose';
    const lostBefore = proxy.lost;
    await node.writeText('moved into place');
    expect(proxy.lost).toBe(lostBefore + 1);
    expect(await readFile(join(dav.dir, 'lost', 'moved.txt'), 'utf8')).toBe('moved into place');
    expect(await leftTemporaries('lost')).toEqual([]);
  });

  it('also for ifNotExists (the file there is the one this write moved)', async () => {
    const node = storage.node('dav:lost/created.txt');
    nextMove = 'lose';
    const lostBefore = proxy.lost;
    await node.writeText('created once', { ifNotExists: true });
    expect(proxy.lost).toBe(lostBefore + 1);
    expect(await readFile(join(dav.dir, 'lost', 'created.txt'), 'utf8')).toBe('created once');
  });

  it('a MOVE that never reached the server stays the network error, with nothing left behind', async () => {
    const node = storage.node('dav:refused/never.txt');
    nextMove = 'refuse';
    const error = await node.writeText('never moved').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(UfsError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(await readdir(join(dav.dir, 'refused'))).toEqual([]);
  });
});
