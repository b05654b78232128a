// serveNode() sends exactly the bytes its headers announce (a file growing or shrinking while served), answers
// suffix and invalid ranges as RFC 9110 says, and reports a client that leaves as `aborted` whatever the node.
import { randomBytes } from 'node:crypto';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { StorageManager } from '../src/index.js';
import { serveNode, type ServeResult } from '../src/serve/index.js';
import { concat, zip, type ReadableNode } from '../src/virtual/index.js';
import { tempDir } from './helpers.js';

const dir = await tempDir('ufs-serve-bounds-');
const root = join(dir.path, 'local');
const storage = new StorageManager();
/** What serveNode resolved with, per request path. */
const results: (ServeResult & { path: string })[] = [];
const errors: UfsError[] = [];
/** What each request path serves. */
const routes = new Map<string, () => ReadableNode>();

const server: Server = createServer((req, res) => {
  const node = routes.get(req.url ?? '')!();
  void serveNode(node, req, res, { onError: (e) => errors.push(e) }).then((r) =>
    results.push({ ...r, path: req.url! }),
  );
});
let port: number;
const BIG = 16 * 1024 * 1024;

beforeAll(async () => {
  await storage.configure([{ name: 'local', protocol: 'local', root }]);
  await storage.node('local:small.txt').writeText('hello');
  await storage.node('local:ten.txt').writeText('0123456789');
  await storage.node('local:empty.txt').writeText('');
  // Random bytes: a deflated zip of them is as large, so a client can leave in the middle of any kind of node.
  await storage.node('local:noise.bin').writeBytes(randomBytes(BIG));
  await zip(storage.node('local:noise.bin')).copyTo(storage.node('local:noise.zip'));
  await storage.configure([{ name: 'z', protocol: 'zip', archive: 'local:noise.zip' }]);
  routes.set('/small.txt', () => storage.node('local:small.txt'));
  routes.set('/ten.txt', () => storage.node('local:ten.txt'));
  routes.set('/empty.txt', () => storage.node('local:empty.txt'));
  routes.set('/big.bin', () => storage.node('local:big.bin'));
  routes.set('/concat', () => concat(storage.node('local:part1.bin'), storage.node('local:small.txt')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
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

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (const started = Date.now(); !check();) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The result of the request for `path` (waiting for it). */
async function resultOf(path: string): Promise<ServeResult> {
  await until(() => results.some((r) => r.path === path));
  const { path: _path, ...result } = results.find((r) => r.path === path)!;
  return result;
}

interface Parsed {
  status: number;
  length: number;
  body: Buffer;
}

/** The complete responses in what a socket received, in order (Content-Length bodies only), and what is left. */
function responses(received: Buffer): { complete: Parsed[]; rest: Buffer } {
  const complete: Parsed[] = [];
  let rest = received;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return { complete, rest };
    const head = rest.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    if (rest.length < end + 4 + length) return { complete, rest };
    const status = Number(head.split(' ')[1]);
    complete.push({ status, length, body: rest.subarray(end + 4, end + 4 + length) });
    rest = rest.subarray(end + 4 + length);
  }
}

/**
 * A keep-alive connection: GET `first`, pausing once `changeAfter` bytes came to `change` the file; then GET
 * `second` on the same connection. Resolves with all the bytes received when the server closed it or went quiet.
 */
async function keepAlive(
  first: string,
  change: () => void,
  second: string,
  headers = '',
): Promise<{ data: Buffer; closed: boolean }> {
  const socket: Socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let received = 0;
  let changed = false;
  let closed = false;
  let quietTimer: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(quietTimer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const quiet = () => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(finish, 1500);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      quiet();
      if (!changed && received > 256 * 1024) {
        changed = true;
        socket.pause();
        change();
        setTimeout(() => {
          socket.resume();
          socket.write(`GET ${second} HTTP/1.1\r\nHost: x\r\n\r\n`);
        }, 300);
      }
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    socket.write(`GET ${first} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
  });
}

describe('serveNode sends exactly the announced bytes', () => {
  it('a file that grows while served: the body stops at Content-Length, the next response is intact, INTEGRITY is reported', async () => {
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(BIG, 97));
    const injected = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED');
    const { data } = await keepAlive('/big.bin', () => appendFileSync(join(root, 'big.bin'), injected), '/small.txt');
    const { complete, rest } = responses(data);
    expect(complete.map((r) => [r.status, r.length])).toEqual([
      [200, BIG],
      [200, 5],
    ]);
    expect(complete[0]!.body.every((byte) => byte === 97)).toBe(true);
    expect(complete[1]!.body.toString()).toBe('hello');
    expect(rest.length).toBe(0);
    const [big, small] = [await resultOf('/big.bin'), await resultOf('/small.txt')];
    expect(big).toMatchObject({ status: 200, aborted: false, error: { code: 'INTEGRITY' } });
    expect(big!.error!.message).toMatch(/^\[ufs\] serve "local:big.bin": the file changed while it was served/);
    expect(errors.map((e) => e.code)).toEqual(['INTEGRITY']);
    expect(small).toEqual({ status: 200, bytes: 5, aborted: false });
  });

  it('a file that shrinks while served: the response is cut short (connection closed), INTEGRITY is reported', async () => {
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(BIG, 97));
    const { data, closed } = await keepAlive(
      '/big.bin',
      () => truncateSync(join(root, 'big.bin'), 2 ** 20),
      '/small.txt',
    );
    expect(closed).toBe(true);
    const { complete, rest } = responses(data);
    expect(complete).toEqual([]); // never a complete (wrong) answer, nor a second one read from the first's body
    expect(rest.toString('latin1')).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(rest.length).toBeLessThan(BIG);
    const result = await resultOf('/big.bin');
    expect(result).toMatchObject({ status: 200, aborted: false, error: { code: 'INTEGRITY' } });
    expect(result.bytes).toBeLessThan(BIG);
    expect(result.error!.message).toContain('the file changed while it was served (it ended after');
    expect(errors.map((e) => e.code)).toEqual(['INTEGRITY']);
    // The server answers the next connection normally.
    const again = await fetch(`http://127.0.0.1:${port}/small.txt`);
    expect(await again.text()).toBe('hello');
  });

  it('a range to the end of a file that grows stops at the announced end too', async () => {
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(BIG, 97));
    const grow = () => appendFileSync(join(root, 'big.bin'), 'XXXXXXXX');
    const { data } = await keepAlive('/big.bin', grow, '/small.txt', 'Range: bytes=1000-\r\n');
    const { complete, rest } = responses(data);
    expect(complete.map((r) => [r.status, r.length])).toEqual([
      [206, BIG - 1000],
      [200, 5],
    ]);
    expect(complete[0]!.body.every((byte) => byte === 97)).toBe(true);
    expect(rest.length).toBe(0);
    const big = await resultOf('/big.bin');
    expect(big).toMatchObject({ bytes: BIG - 1000, aborted: false, error: { code: 'INTEGRITY' } });
  });

  it('a concat whose first part shrinks while served fails with INTEGRITY, the response cut short', async () => {
    writeFileSync(join(root, 'part1.bin'), Buffer.alloc(BIG, 98));
    const { data, closed } = await keepAlive(
      '/concat',
      () => truncateSync(join(root, 'part1.bin'), 2 ** 20),
      '/small.txt',
    );
    expect(closed).toBe(true);
    expect(responses(data).complete).toEqual([]);
    const result = await resultOf('/concat');
    expect(result).toMatchObject({ status: 200, aborted: false, error: { code: 'INTEGRITY' } });
    expect(result.error!.message).toContain('"local:part1.bin" changed while it was read');
  });

  it('a concat whose first part grows while served keeps each part at its offset', async () => {
    writeFileSync(join(root, 'part1.bin'), Buffer.alloc(BIG, 98));
    const { data } = await keepAlive(
      '/concat',
      () => appendFileSync(join(root, 'part1.bin'), 'XXXXXXXX'),
      '/small.txt',
    );
    const { complete } = responses(data);
    expect(complete.map((r) => [r.status, r.length])).toEqual([
      [200, BIG + 5],
      [200, 5],
    ]);
    const body = complete[0]!.body;
    expect(body.subarray(0, BIG).every((byte) => byte === 98)).toBe(true);
    expect(body.subarray(BIG).toString()).toBe('hello');
  });

  it('concat reads of a range check each part: a part that shrank is INTEGRITY, not shifted bytes', async () => {
    writeFileSync(join(root, 'part1.bin'), '0123456789');
    const joined = concat(storage.node('local:part1.bin'), storage.node('local:small.txt'));
    // The part shrinks between the concat's stat and the read of its bytes.
    const stream = await joined.openReadStream({ start: 5, end: 12 });
    truncateSync(join(root, 'part1.bin'), 7);
    const chunks: Buffer[] = [];
    const error = await new Promise<unknown>((resolve) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    expect(error).toMatchObject({ code: 'INTEGRITY' });
    expect(Buffer.concat(chunks).toString()).not.toContain('he');
  });
});

describe('serveNode ranges (RFC 9110 §14.1)', () => {
  async function get(path: string, range: string) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Range: range } });
    return [response.status, response.headers.get('content-range'), await response.text()];
  }

  it('a suffix longer than the content selects all of it', async () => {
    expect(await get('/ten.txt', 'bytes=-30')).toEqual([206, 'bytes 0-9/10', '0123456789']);
    expect(await get('/ten.txt', 'bytes=-10')).toEqual([206, 'bytes 0-9/10', '0123456789']);
    expect(await get('/ten.txt', 'bytes=-3')).toEqual([206, 'bytes 7-9/10', '789']);
  });

  it('an invalid range-spec makes the whole header ignored: 200 with everything', async () => {
    expect(await get('/ten.txt', 'bytes=5-2')).toEqual([200, null, '0123456789']);
    expect(await get('/ten.txt', 'bytes=0-1,5-2')).toEqual([200, null, '0123456789']);
    expect(await get('/ten.txt', 'bytes=0-1,x')).toEqual([200, null, '0123456789']);
    expect(await get('/ten.txt', 'bytes=')).toEqual([200, null, '0123456789']);
  });

  it('416 only for ranges that really are unsatisfiable', async () => {
    expect(await get('/ten.txt', 'bytes=10-')).toEqual([416, 'bytes */10', '']);
    expect(await get('/ten.txt', 'bytes=99999999999999999999999-')).toEqual([416, 'bytes */10', '']);
    expect(await get('/ten.txt', 'bytes=-0')).toEqual([416, 'bytes */10', '']);
    expect(await get('/empty.txt', 'bytes=0-0')).toEqual([416, 'bytes */0', '']);
    expect(await get('/empty.txt', 'bytes=-1')).toEqual([416, 'bytes */0', '']);
    // One satisfiable range among unsatisfiable ones is served.
    expect(await get('/ten.txt', 'bytes=20-30,2-3')).toEqual([206, 'bytes 2-3/10', '23']);
    expect(await get('/ten.txt', 'bytes=8-99999999999999999999999')).toEqual([206, 'bytes 8-9/10', '89']);
    expect(await get('/ten.txt', 'Bytes=1-2')).toEqual([206, 'bytes 1-2/10', '12']);
  });
});

describe('serveNode: a client that disconnects is `aborted`, never a source failure', () => {
  const kinds: Record<string, () => ReadableNode> = {
    local: () => storage.node('local:noise.bin'),
    'zip-mount entry': () => storage.node('z:noise.bin'),
    'zip, stored': () => zip(storage.node('local:noise.bin'), { compress: false }),
    'zip, deflated': () => zip(storage.node('local:noise.bin')),
    concat: () => concat(storage.node('local:noise.bin'), storage.node('local:small.txt')),
  };
  for (const [kind, make] of Object.entries(kinds)) {
    it(kind, async () => {
      routes.set('/gone', make);
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/gone' }, (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > 1024 * 1024) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', () => undefined);
        req.end();
      });
      const result = await resultOf('/gone');
      expect(result).toMatchObject({ status: 200, aborted: true });
      expect(result.error).toBeUndefined();
      expect(errors).toEqual([]);
    });
  }
});
