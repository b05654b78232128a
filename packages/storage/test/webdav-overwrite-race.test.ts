// Concurrent overwrites of one file on a real WebDAV server (webdav-server): after a MOVE refused with 412 (the
// `Overwrite: F` of atomic writes), the stat of the file another writer is replacing could fail with the library's
// "Failed getting item stat: bad response", which surfaced as UNEXPECTED. Such a stat is now one of the bounded
// attempts. Every write succeeds or fails with UNAVAILABLE (retryable), never anything else, and the file holds one
// of the written values, with no temporary upload left behind.
import { readdir, readFile } from 'node:fs/promises';
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

const WRITERS = 3;
const ROUNDS = 30;

describe('concurrent overwrites of one WebDAV file', () => {
  it('each write succeeds or is UNAVAILABLE (retryable); the file holds one written value', async () => {
    const node = storage.node('dav:race/same.txt');
    await node.writeText('initial');
    const written = new Set<string>(['initial']);
    const failures: UfsError[] = [];
    let succeeded = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_unused, writer) => {
        for (let round = 0; round < ROUNDS; round++) {
          const text = `writer ${writer} round ${round}`;
          written.add(text);
          try {
            await node.writeText(text);
            succeeded++;
          } catch (err) {
            if (!(err instanceof UfsError)) throw err;
            failures.push(err);
          }
        }
      }),
    );
    const unexpected = failures.filter((e) => e.code !== 'UNAVAILABLE' || !e.retryable);
    expect(unexpected.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
    for (const failure of failures) {
      expect(failure.message).toMatch(/^\[ufs\] \[(webdav|dav)\] write "dav:race\/same\.txt": /);
      expect(failure.message).not.toContain('Failed getting item stat');
    }
    expect(succeeded).toBeGreaterThan(0);
    expect(written.has(await node.readText())).toBe(true);
    expect(written.has(await readFile(join(dav.dir, 'race', 'same.txt'), 'utf8'))).toBe(true);
    const left = (await readdir(join(dav.dir, 'race'))).filter((name) => name.startsWith('.ufs-upload-'));
    expect(left).toEqual([]);
  }, 120_000);
});
