// A read that can be resumed (src/node/resumable-read.ts) needs a stat made before it: the copy engine and serveNode,
// which have just stat-ed the source, hand theirs over, so a copy or a served file costs no request more than before
// reads were resumed; a plain `node.readBytes()` makes its own. Requests to a real radosgw and the WebDAV test server
// are counted by a node:http proxy in front of them (method and path of each request, per key).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startWebdavServer } from '@org/test-services';
import { copyNode } from '../src/copy/index.js';
import { StorageManager, type MountConfig } from '../src/index.js';
import { serveNode } from '../src/serve/index.js';
import { tempDir } from './helpers.js';
import { s3Fixture } from './services/s3.js';

const fixture = await s3Fixture('statreq');
const dav = await startWebdavServer('basic');

afterAll(async () => {
  await dav.stop();
}, 30_000);

/** Forwards every request to `target` and notes `METHOD /path` of each (no query string). */
async function countingProxy(target: string): Promise<{ endpoint: string; seen: string[]; close(): Promise<void> }> {
  const to = new URL(target);
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${decodeURIComponent(new URL(req.url!, 'http://x').pathname)}`);
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Side {
  name: string;
  /** The request a stat makes. */
  stat: string;
  target: () => string;
  mount: (endpoint: string) => Record<string, unknown>;
}

const sides: Side[] = [
  {
    name: 's3',
    stat: 'HEAD',
    target: () => fixture.connection.endpoint,
    mount: (endpoint) => ({
      protocol: 's3',
      bucket: fixture.bucket,
      ...fixture.connection,
      endpoint,
      forcePathStyle: true,
    }),
  },
  {
    name: 'webdav',
    stat: 'PROPFIND',
    target: () => dav.url,
    mount: (endpoint) => ({
      protocol: 'webdav',
      url: `${endpoint}/`,
      username: dav.username,
      password: dav.password,
    }),
  },
];

let run = 0;

describe.each(sides)('requests of reads on $name', (side) => {
  let storage: StorageManager;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  /** The tree of this test: `<mount>:<tree>/a.txt`, `<mount>:<tree>/sub/b.txt`. */
  let tree = '';

  beforeEach(async () => {
    dir = await tempDir('ufs-statreq-');
    tree = `statreq-${++run}`;
    proxy = await countingProxy(side.target());
    storage = new StorageManager();
    await storage.configure([
      { name: 'loc', protocol: 'local', root: dir.path },
      { name: 'direct', ...side.mount(side.target()) } as MountConfig,
      { name: 'counted', ...side.mount(proxy.endpoint) } as MountConfig,
    ]);
    await storage.node(`direct:${tree}/a.txt`).writeText('alpha');
    await storage.node(`direct:${tree}/sub/b.txt`).writeText('bravo!');
    proxy.seen.length = 0;
  });

  afterEach(async () => {
    await storage.dispose();
    await proxy.close();
    await dir.cleanup();
  });

  /** The requests made for the key ending with `name`, by method. */
  const requestsFor = (name: string) => {
    const counts: Record<string, number> = {};
    for (const line of proxy.seen) {
      const [method, path] = line.split(' ') as [string, string];
      if (path.endsWith(`/${name}`)) counts[method] = (counts[method] ?? 0) + 1;
    }
    return counts;
  };

  it('a tree copy reads each file with one GET and the stats the engine makes (before, and the check after)', async () => {
    const summary = await copyNode(storage.node(`counted:${tree}/`), storage.node('loc:out/'));
    expect(summary.errors).toEqual([]);
    expect(summary.files).toBe(2);
    expect(readFileSync(join(dir.path, 'out/sub/b.txt'), 'utf8')).toBe('bravo!');
    // Before a read took the engine's stat, each file had one stat more (3).
    expect(requestsFor('a.txt')).toEqual({ GET: 1, [side.stat]: 2 });
    expect(requestsFor('b.txt')).toEqual({ GET: 1, [side.stat]: 2 });
  }, 60_000);

  it('serveNode answers a file with one stat and one GET', async () => {
    const server = createServer((req, res) => void serveNode(storage.node(`counted:${tree}/a.txt`), req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await answer.text()).toBe('alpha');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(requestsFor('a.txt')).toEqual({ GET: 1, [side.stat]: 1 });
  }, 60_000);

  it('a plain read stats the file itself before reading it (what a resumed read compares with)', async () => {
    expect((await storage.node(`counted:${tree}/a.txt`).readBytes()).toString()).toBe('alpha');
    expect(proxy.seen.filter((line) => line.endsWith('/a.txt'))).toEqual([
      expect.stringMatching(new RegExp(`^${side.stat} `)),
      expect.stringMatching(/^GET /),
    ]);
  }, 60_000);
});
