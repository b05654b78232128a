// A download whose connection is dropped part way goes on from the next byte with a ranged read, when the file is
// provably the same (version id, ETag or modification time, and size, stat-ed before the read and after the resumed
// one): the reader sees one stream, a copy's sha256 equals the source's. A file replaced while the client was cut off
// fails with INTEGRITY naming it; a link that keeps dropping gives up after READ_RESUMES resumed reads. Real servers
// on 127.0.0.1 (radosgw, the WebDAV test server, a node:http file server) behind a proxy that cuts connections after
// a number of bytes of an answer.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startWebdavServer } from '@org/test-services';
import { copyNode } from '../src/copy/index.js';
import { READ_RESUMES } from '../src/node/resumable-read.js';
import { StorageManager, type MountConfig } from '../src/index.js';
import { startStaticServer } from './fakes/static-http-server.js';
import { readAll, rejectsWith, tempDir } from './helpers.js';
import { cuttingProxy, type TcpFault } from './net-faults.js';
import { s3Fixture } from './services/s3.js';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;
const CUT = 3 * MiB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const fixture = await s3Fixture('resume');
const dav = await startWebdavServer('basic');
const files: Record<string, Buffer> = {};
const web = await startStaticServer(files);
const webPath = new URL(web.url).pathname;

afterAll(async () => {
  await dav.stop();
  await web.close();
}, 30_000);

interface Side {
  name: string;
  how: 'reset' | 'close';
  port: () => number;
  /** The mount's options, reaching the server at `endpoint` (the proxy's or the server's). */
  mount: (endpoint: string) => Record<string, unknown>;
  /** Stores `content` as `big.bin` (not through the proxy). */
  put: (content: Buffer) => Promise<unknown>;
}

let storage: StorageManager;
let dir: { path: string; cleanup: () => Promise<void> };
let proxy: TcpFault & { cuts: number };
let run = 0;
let prefix = '';

const sides: Side[] = [
  {
    name: 's3',
    how: 'close',
    port: () => Number(new URL(fixture.connection.endpoint).port),
    mount: (endpoint) => ({
      protocol: 's3',
      bucket: fixture.bucket,
      prefix,
      ...fixture.connection,
      endpoint,
      forcePathStyle: true,
    }),
    put: (content) => storage.node('direct:big.bin').write(Readable.from([content]), { size: content.length }),
  },
  {
    name: 'webdav',
    how: 'reset',
    port: () => Number(new URL(dav.url).port),
    mount: (endpoint) => ({
      protocol: 'webdav',
      url: `${endpoint}/`,
      username: dav.username,
      password: dav.password,
    }),
    put: (content) => storage.node('direct:big.bin').write(Readable.from([content]), { size: content.length }),
  },
  {
    name: 'http',
    how: 'close',
    port: () => Number(new URL(web.url).port),
    mount: (endpoint) => ({ protocol: 'http', baseUrl: `${endpoint}${webPath}` }),
    put: async (content) => {
      files['big.bin'] = content;
    },
  },
];

describe.each(sides)('a $name download cut by the network', (side) => {
  let source: Buffer;

  beforeAll(() => {
    source = randomBytes(SIZE);
  });

  beforeEach(async () => {
    dir = await tempDir('ufs-resume-');
    prefix = `run-${++run}`;
    storage = new StorageManager();
    const direct = side.mount(`http://127.0.0.1:${side.port()}`);
    await storage.configure([
      { name: 'loc', protocol: 'local', root: dir.path },
      { name: 'direct', ...direct } as MountConfig,
    ]);
    await side.put(source);
  });

  afterEach(async () => {
    await proxy?.close();
    await storage.dispose();
    await dir.cleanup();
  });

  async function mountCut(options: Parameters<typeof cuttingProxy>[3] = { times: 1 }, cutAfter = CUT) {
    proxy = await cuttingProxy(side.port(), cutAfter, side.how, options);
    await storage.addMount({ name: 'cut', ...side.mount(proxy.endpoint) } as MountConfig);
  }

  it('a copy goes on from the next byte: its sha256 is the source’s', async () => {
    await mountCut();
    const summary = await copyNode(storage.node('cut:big.bin'), storage.node('loc:got.bin'));
    expect(summary.errors).toEqual([]);
    expect(summary.files).toBe(1);
    expect(proxy.cuts).toBe(1);
    expect(sha256(readFileSync(join(dir.path, 'got.bin')))).toBe(sha256(source));
  }, 60_000);

  it('a ranged read goes on too, within its range', async () => {
    await mountCut();
    const got = await readAll(await storage.node('cut:big.bin').openReadStream({ start: 1000, end: 7 * MiB }));
    expect(proxy.cuts).toBe(1);
    expect(sha256(got)).toBe(sha256(source.subarray(1000, 7 * MiB + 1)));
  }, 60_000);

  it('a file replaced while the client was cut off fails with INTEGRITY naming it', async () => {
    const other = randomBytes(SIZE);
    await mountCut({ times: 1, afterCut: () => side.put(other) });
    const error = await rejectsWith(readAll(await storage.node('cut:big.bin').openReadStream()), 'INTEGRITY');
    expect(error.message).toMatch(
      new RegExp(
        `^\\[ufs\\] \\[${side.name}\\] read "cut:big\\.bin": the file changed while it was read \\(.+\\) after \\d+ bytes: the read is not resumed$`,
      ),
    );
    expect(error.retryable).toBe(false);
    expect(proxy.cuts).toBe(1);
  }, 60_000);

  it('a copy (its read compares with the engine’s stat) of a file replaced while cut off fails with INTEGRITY', async () => {
    const other = randomBytes(SIZE);
    await mountCut({ times: 1, afterCut: () => side.put(other) });
    const summary = await copyNode(storage.node('cut:big.bin'), storage.node('loc:got.bin'));
    expect(summary.files).toBe(0);
    expect(summary.errors.map((e) => e.error.code)).toEqual(['INTEGRITY']);
    expect(summary.errors[0]!.error.message).toMatch(/the file changed while it was read \(.+\) after \d+ bytes/);
    expect(proxy.cuts).toBe(1);
  }, 60_000);

  it(`a link that keeps dropping gives up after ${READ_RESUMES} resumed reads`, async () => {
    await mountCut({}, 256 * 1024);
    const error = await rejectsWith(readAll(await storage.node('cut:big.bin').openReadStream()), 'UNAVAILABLE');
    expect(error.message).toMatch(/^\[ufs\] \[\w+\] read "cut:big\.bin": .+ \(the read was resumed 5 times\)$/);
    expect(error.context.resumes).toBe(READ_RESUMES);
    expect(proxy.cuts).toBe(READ_RESUMES + 1);
  }, 60_000);
});

describe('an s3 download from a versioned bucket', () => {
  it('a file replaced while the client was cut off: the read goes on with the version it began with', async () => {
    storage = new StorageManager();
    const port = Number(new URL(fixture.connection.endpoint).port);
    const mount = (name: string, endpoint: string) =>
      ({
        name,
        protocol: 's3',
        bucket: fixture.versionedBucket,
        prefix: 'versioned',
        ...fixture.connection,
        endpoint,
        forcePathStyle: true,
      }) as MountConfig;
    const first = randomBytes(SIZE);
    const second = randomBytes(SIZE);
    const put = (content: Buffer) =>
      storage.node('direct:big.bin').write(Readable.from([content]), { size: content.length });
    proxy = await cuttingProxy(port, CUT, 'reset', { times: 1, afterCut: () => put(second) });
    try {
      await storage.configure([mount('direct', fixture.connection.endpoint), mount('cut', proxy.endpoint)]);
      await put(first);
      const got = await readAll(await storage.node('cut:big.bin').openReadStream());
      expect(proxy.cuts).toBe(1);
      expect(sha256(got)).toBe(sha256(first));
      expect(sha256(await storage.node('direct:big.bin').readBytes())).toBe(sha256(second));
    } finally {
      await proxy.close();
      await storage.dispose();
    }
  }, 60_000);
});
