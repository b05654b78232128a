import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { get } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { countingProxy } from './helpers/counting-proxy.js';
import { watchPeakRss } from './helpers/peak-rss.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// A 1 GiB file scanned against a real `ufs serve`: over the default --tus-threshold (64 MiB), so it goes over tus, in
// one PATCH (the default --tus-chunk-size). The scan is interrupted (Ctrl-C) mid-upload: the server keeps the bytes
// that arrived, and the next run sends only the rest.
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Ctrl-C once this much went out. */
const INTERRUPT_AT = 192 * MiB;
/** Flat memory: the scanner streams the file (hashing and upload), whatever its size. */
const RSS_LIMIT = 300 * MiB;
const TIMEOUT = 300_000;

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
let env: Record<string, string>;
let file: string;
let digest: string;
let cachePath: string;
let offsetAfterInterrupt: number;

/**
 * Writes `count` copies of a random `blockSize` block, each stamped with its index in its first 8 bytes so no two
 * blocks (and no two tus chunks) are alike: bytes sent from a wrong offset change the hash. Real bytes on disk, not a
 * sparse file of zeros (read without touching the disk, and alike everywhere). Returns the SHA-256 of the whole,
 * computed on the way: the test never reads 1 GiB back.
 */
async function writeFile(path: string, blockSize: number, count: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const block = randomBytes(blockSize);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < count; i++) {
      block.writeBigUInt64BE(BigInt(i), 0);
      const { bytesWritten } = await fh.write(block);
      if (bytesWritten !== block.length) throw new Error(`short write to ${path}`);
      hash.update(block);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** GET `url` and the SHA-256 and length of its body, hashed as it streams in (node:http: fast, nothing kept). */
function streamedSha256(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex'), bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function tusRows(): Array<{ url: string }> {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare('SELECT url FROM tus_uploads WHERE sha256 = ?').all(digest) as Array<{ url: string }>;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  // Counts what the scanner sends; the cache remembers upload URLs under this address.
  proxy = await countingProxy(server.url);
  env = { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! };
  cachePath = join(box.dir, 'scan-cache.sqlite');
  file = join(box.dir, 'large', 'one-gib.bin');
  digest = await writeFile(file, 4 * MiB, GiB / (4 * MiB));
}, TIMEOUT);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box.cleanup(); // the 1 GiB file, the cache and the server's data (its XDG_DATA_HOME is in the sandbox)
});

describe('ufs scan of a 1 GiB file', () => {
  it(
    'hashes it and uploads it over tus with flat memory; Ctrl-C mid-upload keeps the hash, the upload URL and the server offset',
    async () => {
      let rss: ReturnType<typeof watchPeakRss> | undefined;
      const run = await ufs(['scan', '--cache', cachePath, '--hostname', 'big', '--json', file], {
        env,
        timeoutMs: TIMEOUT - 10_000,
        onSpawn: (child) => {
          rss = watchPeakRss(child.pid!);
          const poll = setInterval(() => {
            if ((proxy.bytes.PATCH ?? 0) > INTERRUPT_AT) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 50);
          child.once('exit', () => clearInterval(poll));
        },
      });
      const memory = rss!.stop();
      expect(run.status).toBe(130); // ABORTED: interrupted, said once
      expect(run.json()).toMatchObject({ error: { code: 'ABORTED', exitCode: 130 } });
      expect(run.stderr.trim()).toBe('[ufs] scan: interrupted');
      expect(proxy.bytes.PATCH).toBeGreaterThan(INTERRUPT_AT); // tus (PATCH) requests
      expect(proxy.bytes.PATCH).toBeLessThan(GiB);
      expect(memory.samples).toBeGreaterThan(0);
      expect(memory.peakBytes).toBeLessThan(RSS_LIMIT);

      // The whole file was hashed before the upload, and the hash survived the interrupt.
      const db = new Database(cachePath, { readonly: true });
      const cached = db
        .prepare('SELECT sha256 FROM file_hashes WHERE dir = ? AND name = ?')
        .get(dirname(file), basename(file)) as { sha256: string } | undefined;
      db.close();
      expect(cached?.sha256).toBe(digest);
      // The upload URL is remembered for the next run, and the server holds a prefix of the file there: the bytes of
      // the PATCH that the interrupt cut short (kept once the server has seen the connection close).
      const rows = tusRows();
      expect(rows).toHaveLength(1);
      let head: Response | undefined;
      for (let i = 0; i < 200; i++) {
        head = await fetch(rows[0]!.url, {
          method: 'HEAD',
          headers: { 'x-api-key': server.apiKey!, 'tus-resumable': '1.0.0' },
        });
        if (Number(head.headers.get('upload-offset')) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(head!.status).toBe(200);
      expect(Number(head!.headers.get('upload-length'))).toBe(GiB);
      offsetAfterInterrupt = Number(head!.headers.get('upload-offset'));
      expect(offsetAfterInterrupt).toBeGreaterThan(0);
      expect(offsetAfterInterrupt).toBeLessThanOrEqual(proxy.bytes.PATCH!);
    },
    TIMEOUT,
  );

  it(
    'the next run resumes at that offset without hashing again; the server holds the exact content; flat memory',
    async () => {
      expect(offsetAfterInterrupt).toBeGreaterThan(0); // set by the test before
      const sentBefore = proxy.bytes.PATCH ?? 0;
      let rss: ReturnType<typeof watchPeakRss> | undefined;
      const run = await ufs(['scan', '--cache', cachePath, '--hostname', 'big', '--json', file], {
        env,
        timeoutMs: TIMEOUT - 10_000,
        onSpawn: (child) => (rss = watchPeakRss(child.pid!)),
      });
      const memory = rss!.stop();
      expect(run.status).toBe(0);
      expect(run.json<{ stats: Record<string, number> }>().stats).toMatchObject({
        files: 1,
        bytes: GiB,
        cached: 1,
        hashed: 0,
        new: 1,
        uploaded: 1,
        uploadedBytes: GiB - offsetAfterInterrupt, // the bytes this run sent, not what the server held already
        failed: 0,
      });
      // only the part the server did not hold went over the wire (a fresh upload would send all of it)
      expect((proxy.bytes.PATCH ?? 0) - sentBefore).toBe(GiB - offsetAfterInterrupt);
      expect(tusRows()).toHaveLength(0); // finished: forgotten
      expect(memory.samples).toBeGreaterThan(0);
      expect(memory.peakBytes).toBeLessThan(RSS_LIMIT);

      const headers = { 'x-api-key': server.apiKey! };
      const records = (await (await fetch(`${server.url}/files?hostname=big`, { headers })).json()) as {
        items: Array<{ filepath: string; sha256: string; file_size: number; has_file_content: boolean }>;
      };
      expect(records.items).toEqual([
        expect.objectContaining({ filepath: file, sha256: digest, file_size: GiB, has_file_content: true }),
      ]);
      expect(await streamedSha256(`${server.url}/files/${digest}/content`, headers)).toEqual({
        status: 200,
        sha256: digest,
        bytes: GiB,
      });
    },
    TIMEOUT,
  );
});
