// WebDAV with `atomicWrites: false` (one PUT to the key) on a real server (webdav-server), faults injected by
// wrapping the real client: a folder made at the key between the write's check and its PUT is never replaced and the
// write fails naming the key; a copy into such a mount (the copy engine writes a temporary key beside the
// destination, then renames it into place) names the destination in its errors, never that temporary key.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type PutFileContentsOptions } from 'webdav';
import webdav from '../src/backends/webdav/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { startWebdavServer, type WebdavTestServer } from '@org/test-services';

type PutData = string | Buffer | Readable;

let dav: WebdavTestServer;
const storage = new StorageManager();
/** Runs before the real PUT of `path`; may give the data to send instead. */
let beforePut: ((path: string, data: PutData) => Promise<PutData | undefined>) | undefined;
/** Runs before the real MOVE to `to`. */
let beforeMove: ((to: string) => Promise<void>) | undefined;

beforeAll(async () => {
  dav = await startWebdavServer('basic');
  const client = createClient(dav.url, { username: dav.username, password: dav.password });
  const put = client.putFileContents.bind(client);
  client.putFileContents = (async (path: string, data: PutData, options?: PutFileContentsOptions) => {
    const instead = await beforePut?.(path, data);
    return put(path, instead ?? data, options);
  }) as typeof client.putFileContents;
  const move = client.moveFile.bind(client);
  client.moveFile = (async (from: string, to: string, options?: Parameters<typeof move>[2]) => {
    await beforeMove?.(to);
    return move(from, to, options);
  }) as typeof client.moveFile;
  const options = webdav.options.parse({ client, atomicWrites: false });
  await storage.mountBackend('dav', await webdav.create(options, { mountName: 'dav', env: {} }));
  await storage.configure([{ name: 'mem', protocol: 'memory' }]);
});
afterEach(() => {
  beforePut = undefined;
  beforeMove = undefined;
});
afterAll(async () => {
  await storage.dispose();
  await dav.stop();
});

/** Makes `key` a folder holding one file, on the server's disk (another writer, between two requests of ours). */
async function folderAppears(key: string): Promise<void> {
  await mkdir(join(dav.dir, key), { recursive: true });
  await writeFile(join(dav.dir, key, 'inner.txt'), 'kept');
}

async function temporaries(): Promise<string[]> {
  const names = await readdir(dav.dir, { recursive: true });
  return names.filter((name) => name.includes('.ufs-'));
}

describe('webdav plain PUT (atomicWrites: false)', () => {
  it('a folder made at the key between the check and the PUT is kept, and the write fails naming the key', async () => {
    beforePut = async (path) => {
      if (path.endsWith('/raced/x')) await folderAppears('raced/x');
      return undefined;
    };
    const error = await rejectsWith(storage.node('dav:raced/x').writeText('file x'), 'INVALID_INPUT');
    expect(error.message).toBe(
      '[ufs] [webdav] write "dav:raced/x": is a folder, not a file: a write cannot replace it',
    );
    expect(await readFile(join(dav.dir, 'raced', 'x', 'inner.txt'), 'utf8')).toBe('kept');
  });

  it('a write over a file still replaces it', async () => {
    await storage.node('dav:plain/a.txt').writeText('first');
    await storage.node('dav:plain/a.txt').writeText('second');
    expect(await readFile(join(dav.dir, 'plain', 'a.txt'), 'utf8')).toBe('second');
  });
});

describe('a copy into a webdav mount with plain PUTs', () => {
  it('names the destination when the write of its temporary key fails', async () => {
    await storage.node('mem:b.txt').writeText('12345');
    // A proxy that cuts the body: the server stores 2 bytes of the 5 sent.
    beforePut = async (_path, data) => {
      const chunks: Buffer[] = [];
      for await (const chunk of data as Readable) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).subarray(0, 2);
    };
    const report = await storage.node('mem:b.txt').copyTo(storage.node('dav:cut/b.txt'));
    expect(report.errors).toHaveLength(1);
    const { error } = report.errors[0]!;
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toBe(
      '[ufs] copy "mem:b.txt" → "dav:cut/b.txt": [webdav] write "dav:cut/b.txt": the server stored 2 bytes of the 5 sent',
    );
    expect(await temporaries()).toEqual([]);
  });

  it('names the destination when a folder made there meanwhile keeps the temporary key from moving into place', async () => {
    await storage.node('mem:d.txt').writeText('data');
    beforeMove = async (to) => {
      if (to.endsWith('/moved/d.txt')) await folderAppears('moved/d.txt');
    };
    const report = await storage.node('mem:d.txt').copyTo(storage.node('dav:moved/d.txt'));
    expect(report.errors).toHaveLength(1);
    const { error } = report.errors[0]!;
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      '[ufs] copy "mem:d.txt" → "dav:moved/d.txt": [webdav] rename "dav:moved/d.txt": a folder is at "moved/d.txt": ' +
        'a move cannot replace it',
    );
    expect(await readFile(join(dav.dir, 'moved', 'd.txt', 'inner.txt'), 'utf8')).toBe('kept');
    expect(await temporaries()).toEqual([]);
  });
});
