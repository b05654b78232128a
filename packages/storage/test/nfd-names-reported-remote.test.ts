// Names stored in NFD (as a Mac writes them) on WebDAV (the real webdav-server) and Dropbox (the API fake): no path
// reaches them (a path is NFC, another name on the server), so a listing reports each one, as Azure and S3 report
// such keys (`no path can name the object key …: it is not in Unicode NFC`), instead of listing an NFC path that
// every command then fails on. A copy counts them among its errors.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import webdav from '../src/backends/webdav/index.js';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { startDropboxFake, startWebdavServer, type WebdavTestServer } from '@org/test-services';
import { tempDir } from './helpers.js';

const NFC = 'r\u00e9sum\u00e9.txt';
const NFD = NFC.normalize('NFD');

let dav: WebdavTestServer;
const fake = await startDropboxFake();
fake.tokens.add('nfd-token');
const storage = new StorageManager();
let out: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dav = await startWebdavServer('basic');
  out = await tempDir('ufs-nfd-remote-');
  const options = webdav.options.parse({ url: dav.url, username: dav.username, password: dav.password });
  await storage.mountBackend('dav', await webdav.create(options, { mountName: 'dav', env: {} }));
  await storage.configure([
    { name: 'box', protocol: 'dropbox', apiBaseUrl: fake.url, accessToken: 'nfd-token', root: 'Apps/nfd' },
    { name: 'out', protocol: 'local', root: out.path },
  ]);
  mkdirSync(join(dav.dir, 'd'));
  writeFileSync(join(dav.dir, 'd', NFD), 'from a mac');
  writeFileSync(join(dav.dir, 'd', 'plain.txt'), 'plain');
  const box = storage.node('box:').backend;
  await box.write(`d/${NFD}`, Readable.from([Buffer.from('from a mac')]));
  await box.write('d/plain.txt', Readable.from([Buffer.from('plain')]));
});
afterAll(async () => {
  await storage.dispose();
  await dav.stop();
  await fake.close();
  await out.cleanup();
});

async function listReported(path: string, recursive: boolean): Promise<{ listed: string[]; reported: UfsError[] }> {
  const reported: UfsError[] = [];
  const listed: string[] = [];
  const report = (e: UfsError) => reported.push(e);
  for await (const node of storage.node(path).list({ recursive, onUnreadable: report, onInvalidName: report }))
    listed.push(node.path);
  return { listed, reported };
}

describe.each(['dav', 'box'])('%s: a name stored in NFD', (mount) => {
  // The WebDAV mount here lists one folder at a time (no depthInfinity): its recursive listing is a walk of those.
  it.each([false, true])('is reported by a listing, not listed (recursive: %s)', async (recursive) => {
    const { listed, reported } = await listReported(`${mount}:d`, recursive);
    expect(listed).toEqual(['d/plain.txt']);
    expect(reported.map((e) => e.code)).toEqual(['INVALID_INPUT']);
    expect(reported[0]!.message).toContain('no path can name the object key "d/re\\u0301sume\\u0301.txt"');
    expect(reported[0]!.message).toContain('not in Unicode NFC');
  });

  it('a copy of its folder counts it among its errors', async () => {
    const summary = await copyNode(storage.node(`${mount}:d`), storage.node(`out:${mount}`));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => e.error.code)).toEqual(['INVALID_INPUT']);
  });
});
