// serveNode() behind a real node:http server on 127.0.0.1, spoken to with fetch.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { interceptBackend, MemoryBackend, StorageManager } from '../src/index.js';
import { serveNode, type ServeOptions, type ServeResult } from '../src/serve/index.js';
import { concat, zip, type ReadableNode } from '../src/virtual/index.js';
import { failingReads } from './copy-helpers.js';
import { tempDir } from './helpers.js';

const dir = await tempDir('ufs-serve-');
const storage = new StorageManager();
/** What the next request serves, and what serveNode answered for each request. */
let route: { node: ReadableNode; options?: ServeOptions };
const results: ServeResult[] = [];
const errors: UfsError[] = [];
/** Source streams handed out by the `tracked` mount, to see that a disconnect destroys them. */
const opened: Readable[] = [];

const server: Server = createServer((req, res) => {
  const { node, options } = route;
  void serveNode(node, req, res, { ...options, onError: (e) => errors.push(e) }).then((r) => results.push(r));
});
let base: string;

beforeAll(async () => {
  await storage.configure([
    { name: 'memory', protocol: 'memory' },
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
  ]);
  await storage.mountBackend(
    'broken',
    failingReads(new MemoryBackend({ mountName: 'broken' }), () => true, 100_000),
  );
  await storage.mountBackend(
    'denied',
    interceptBackend(new MemoryBackend({ mountName: 'denied' }), async (call) => {
      throw new UfsError('PERMISSION_DENIED', `[ufs] [denied] ${call.op} "${call.key}": secret-bucket-name refuses`);
    }),
  );
  await storage.mountBackend(
    'tracked',
    interceptBackend(new MemoryBackend({ mountName: 'tracked' }), async (call, next) => {
      const result = await next();
      if (call.op === 'read') opened.push(result as Readable);
      return result;
    }),
  );
  await storage.node('memory:site/hello.txt').writeText('Hello, world!\n');
  await storage.node('local:files/data.bin').writeBytes(Buffer.from('0123456789'));
  await storage.node('broken:big.bin').writeBytes(Buffer.alloc(1_000_000, 1));
  await storage.node('tracked:big.bin').writeBytes(Buffer.alloc(8 * 1024 * 1024, 2));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await storage.dispose();
  await dir.cleanup();
});
beforeEach(() => {
  results.length = 0;
  errors.length = 0;
});

async function get(node: ReadableNode, headers: Record<string, string> = {}, options?: ServeOptions, method = 'GET') {
  route = { node, options };
  const response = await fetch(`${base}/x`, { method, headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body, header: (name: string) => response.headers.get(name) };
}

describe('serveNode', () => {
  it('200 with the backend ETag, type, length, Last-Modified, disposition and nosniff', async () => {
    const node = storage.node('memory:site/hello.txt');
    const stat = await node.stat();
    const { response, body, header } = await get(node);
    expect(response.status).toBe(200);
    expect(body.toString()).toBe('Hello, world!\n');
    expect(header('etag')).toBe(`"${stat.hash!.value}"`);
    expect(header('content-type')).toBe('text/plain');
    expect(header('content-length')).toBe('14');
    expect(header('accept-ranges')).toBe('bytes');
    expect(header('last-modified')).toBe(stat.mtime!.toUTCString());
    expect(header('content-disposition')).toBe('inline; filename=hello.txt');
    expect(header('x-content-type-options')).toBe('nosniff');
    expect(results[0]).toEqual({ status: 200, bytes: 14, aborted: false });
  });

  it('a weak ETag from size and mtime where the node has none (a concat); the backend’s own otherwise (local)', async () => {
    const joined = concat(storage.node('memory:site/hello.txt'), storage.node('local:files/data.bin'));
    const stat = await joined.stat();
    expect(stat.etag).toBeUndefined();
    expect((await get(joined)).header('etag')).toBe(`W/"18-${stat.mtime!.getTime().toString(16)}"`);
    const local = storage.node('local:files/data.bin');
    const { header } = await get(local);
    expect(header('etag')).toBe((await local.stat()).etag);
    expect(header('content-type')).toBe('application/octet-stream');
  });

  it('If-None-Match / If-Modified-Since → 304 without a body; a stale validator → 200', async () => {
    const node = storage.node('memory:site/hello.txt');
    const { header } = await get(node);
    const etag = header('etag')!;
    const lastModified = header('last-modified')!;
    for (const value of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const answer = await get(node, { 'If-None-Match': value });
      expect([value, answer.response.status]).toEqual([value, 304]);
      expect(answer.body.length).toBe(0);
      expect(answer.header('etag')).toBe(etag);
    }
    expect((await get(node, { 'If-None-Match': '"other"' })).response.status).toBe(200);
    expect((await get(node, { 'If-Modified-Since': lastModified })).response.status).toBe(304);
    expect((await get(node, { 'If-Modified-Since': new Date(0).toUTCString() })).response.status).toBe(200);
    expect((await get(node, { 'If-Match': '"other"' })).response.status).toBe(412);
    expect((await get(node, { 'If-Match': etag })).response.status).toBe(200);
  });

  it('Range: 206 with Content-Range; suffix and open ranges; 416 past the end; several ranges → 200 whole', async () => {
    const node = storage.node('local:files/data.bin');
    let answer = await get(node, { Range: 'bytes=2-5' });
    expect(answer.response.status).toBe(206);
    expect(answer.body.toString()).toBe('2345');
    expect(answer.header('content-range')).toBe('bytes 2-5/10');
    expect(answer.header('content-length')).toBe('4');
    expect((await get(node, { Range: 'bytes=-3' })).body.toString()).toBe('789');
    expect((await get(node, { Range: 'bytes=7-' })).body.toString()).toBe('789');
    expect((await get(node, { Range: 'bytes=8-100' })).header('content-range')).toBe('bytes 8-9/10');
    answer = await get(node, { Range: 'bytes=10-20' });
    expect(answer.response.status).toBe(416);
    expect(answer.header('content-range')).toBe('bytes */10');
    answer = await get(node, { Range: 'bytes=0-1,5-6' });
    expect([answer.response.status, answer.body.toString()]).toEqual([200, '0123456789']);
    expect((await get(node, { Range: 'bytes=0-1,2-3' })).body.toString()).toBe('0123'); // adjacent: combined
    expect((await get(node, { Range: 'lines=1-2' })).response.status).toBe(200);
    expect((await get(node, { Range: 'bytes=oops' })).response.status).toBe(200);
  });

  it('If-Range: a matching strong ETag or date keeps the range; a changed or weak one sends everything', async () => {
    const memory = storage.node('memory:site/hello.txt');
    const etag = (await get(memory)).header('etag')!;
    expect((await get(memory, { Range: 'bytes=0-4', 'If-Range': etag })).body.toString()).toBe('Hello');
    const stale = await get(memory, { Range: 'bytes=0-4', 'If-Range': '"old"' });
    expect([stale.response.status, stale.body.length]).toEqual([200, 14]);
    const local = storage.node('local:files/data.bin');
    const { header } = await get(local);
    expect((await get(local, { Range: 'bytes=0-1', 'If-Range': header('etag')! })).body.toString()).toBe('01');
    const joined = concat(storage.node('memory:site/hello.txt'), local);
    const weak = (await get(joined)).header('etag')!;
    const whole = await get(joined, { Range: 'bytes=0-1', 'If-Range': weak }); // weak: never matches
    expect([whole.response.status, whole.body.length]).toEqual([200, 24]);
    const byDate = await get(local, { Range: 'bytes=0-1', 'If-Range': header('last-modified')! });
    expect([byDate.response.status, byDate.body.toString()]).toEqual([206, '01']);
  });

  it('HEAD sends the headers only and opens nothing', async () => {
    const before = opened.length;
    const { response, body, header } = await get(storage.node('tracked:big.bin'), {}, undefined, 'HEAD');
    expect(response.status).toBe(200);
    expect(header('content-length')).toBe(String(8 * 1024 * 1024));
    expect(body.length).toBe(0);
    expect(opened.length).toBe(before);
  });

  it('attachment with a non-ASCII name is RFC 5987 encoded; type and cache headers can be set', async () => {
    const { header } = await get(
      storage.node('memory:site/hello.txt'),
      {},
      {
        disposition: 'attachment',
        filename: 'résumé 2024 – ünïcode.txt',
        contentType: 'text/plain; charset=utf-8',
        cacheControl: 'public, max-age=60',
      },
    );
    expect(header('content-disposition')).toBe(
      `attachment; filename="r?sum? 2024 ? ?n?code.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024%20%E2%80%93%20%C3%BCn%C3%AFcode.txt`,
    );
    expect(header('content-type')).toBe('text/plain; charset=utf-8');
    expect(header('cache-control')).toBe('public, max-age=60');
  });

  it('missing → 404, folder → 404, other methods → 405; bodies name the code, never internals', async () => {
    let answer = await get(storage.node('memory:site/nope.txt'));
    expect([answer.response.status, answer.body.toString()]).toEqual([404, 'Not Found (NOT_FOUND)\n']);
    answer = await get(storage.node('memory:site'));
    expect(answer.response.status).toBe(404);
    answer = await get(storage.node('memory:site/hello.txt'), {}, undefined, 'POST');
    expect([answer.response.status, answer.header('allow')]).toEqual([405, 'GET, HEAD']);
    await storage.node('memory:site/x').writeText('x');
    answer = await get(storage.node('denied:x'));
    expect([answer.response.status, answer.body.toString()]).toEqual([403, 'Forbidden (PERMISSION_DENIED)\n']);
    expect(answer.body.toString()).not.toContain('secret-bucket-name');
    expect(errors.map((e) => e.code)).toContain('PERMISSION_DENIED');
    expect(errors.find((e) => e.code === 'PERMISSION_DENIED')!.message).toContain('secret-bucket-name');
  });

  it('a source failing mid-body cuts the response short (never a wrong complete answer) and reports the error', async () => {
    route = { node: storage.node('broken:big.bin') };
    const response = await fetch(`${base}/x`);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    for (const started = Date.now(); results.length === 0 && Date.now() - started < 5000;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(results[0]!.error?.code).toBe('UNEXPECTED');
    expect(results[0]!.bytes).toBeLessThan(1_000_000);
  });

  it('a client that disconnects mid-body destroys the source stream', async () => {
    const before = opened.length;
    route = { node: storage.node('tracked:big.bin') };
    const received = await new Promise<number>((resolve) => {
      const req = request(`${base}/x`, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy(); // hang up after the first chunk
          resolve(chunk.length);
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve(0));
      req.end();
    });
    expect(received).toBeGreaterThan(0);
    for (let i = 0; i < 100 && results.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(results[0]).toMatchObject({ status: 200, aborted: true });
    expect(results[0]!.bytes).toBeLessThan(8 * 1024 * 1024);
    expect(opened.length).toBe(before + 1);
    expect(opened[before]!.destroyed).toBe(true);
  });

  it('virtual nodes: a concat with a range; a compressed zip (size unknown) streams whole without length', async () => {
    const joined = concat(storage.node('memory:site/hello.txt'), storage.node('local:files/data.bin'));
    const ranged = await get(joined, { Range: 'bytes=12-16' });
    expect([ranged.response.status, ranged.body.toString()]).toEqual([206, '!\n012']);
    expect(ranged.header('content-range')).toBe('bytes 12-16/24');

    const archive = zip(storage.node('memory:site'));
    const answer = await get(archive, { Range: 'bytes=0-3' });
    expect(answer.response.status).toBe(200);
    expect(answer.header('content-length')).toBeNull();
    expect(answer.header('accept-ranges')).toBe('none');
    expect(answer.header('content-type')).toBe('application/zip');
    expect(answer.header('content-disposition')).toBe('inline; filename=site.zip');
    expect(answer.body.subarray(0, 4).toString('hex')).toBe('504b0304');
    expect(answer.body.equals(await archive.readBytes())).toBe(true);
  });
});
