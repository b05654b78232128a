// A zip-mount entry whose CRC-32 does not match fails a streamed read before its end: a consumer sees INTEGRITY and
// never a clean end, an HTTP client (serveNode) a truncated answer. A good entry still streams whole.
import { writeFile } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { StorageManager } from '../src/index.js';
import { serveNode, type ServeResult } from '../src/serve/index.js';
import { buildZip, dataOffset } from './fakes/zip-builder.js';
import { readAll, tempDir } from './helpers.js';

const SIZE = 3_000_000;
/** Not compressible (stored) and compressible (deflated): both span many stream chunks. */
const storedData = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) storedData[i] = (i * 7919 + (i >> 8)) & 0xff;
const deflatedData = Buffer.from('a line of text that deflates well\n'.repeat(Math.ceil(SIZE / 34)).slice(0, SIZE));

/** Offset of an entry's central directory header (its CRC-32 is at +16), found by its name. */
function centralHeader(zip: Buffer, name: string): number {
  const bytes = Buffer.from(name);
  for (let at = zip.indexOf(bytes); at >= 0; at = zip.indexOf(bytes, at + 1))
    if (at >= 46 && zip.readUInt32LE(at - 46) === 0x02014b50) return at - 46;
  throw new Error(`no central header for ${name}`);
}

/**
 * The archive: good copies of both entries, and damaged ones with one content byte flipped. The stored entry's byte
 * is flipped in place; the deflated entry is written with the flipped byte and given the CRC-32 of the original
 * content (in its local and central headers), so it inflates cleanly and only the CRC-32 can tell.
 */
async function archive(): Promise<Buffer> {
  const flipped = Buffer.from(deflatedData);
  flipped[SIZE - 1000]! ^= 0x01;
  const zip = await buildZip([
    { name: 'good-stored.bin', data: storedData, compress: false },
    { name: 'good-deflated.txt', data: deflatedData, compress: true },
    { name: 'bad-stored.bin', data: storedData, compress: false },
    { name: 'bad-deflated.txt', data: flipped, compress: true },
  ]);
  zip[dataOffset(zip, 'bad-stored.bin') + SIZE - 1000]! ^= 0x01;
  const central = centralHeader(zip, 'bad-deflated.txt');
  const local = zip.readUInt32LE(central + 42);
  const original = crc32(deflatedData) >>> 0;
  expect(zip.readUInt32LE(central + 16)).toBe(crc32(flipped) >>> 0);
  zip.writeUInt32LE(original, central + 16);
  if (zip.readUInt32LE(local + 14) !== 0) zip.writeUInt32LE(original, local + 14);
  return zip;
}

/** Everything a stream gives, and how it stops: 'end' (complete) or the error it fails with. */
function consume(stream: Readable): Promise<{ bytes: number; ended: boolean; error?: unknown }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let ended = false;
    let error: unknown;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => (ended = true));
    stream.on('error', (err) => (error = err));
    stream.on('close', () => resolve({ bytes, ended, error }));
  });
}

const dir = await tempDir('ufs-zip-crc-');
const storage = new StorageManager();
let server: Server;
let base: string;
const served: ServeResult[] = [];

beforeAll(async () => {
  await writeFile(join(dir.path, 'crc.zip'), await archive());
  await storage.configure([
    { name: 'files', protocol: 'local', root: dir.path },
    { name: 'z', protocol: 'zip', archive: 'files:crc.zip' },
  ]);
  server = createServer((req, res) => {
    void serveNode(storage.node('z:' + decodeURIComponent(req.url!.slice(1))), req, res).then((r) => served.push(r));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await storage.dispose();
  await dir.cleanup();
});

describe('a zip entry with a bad CRC-32, read as a stream', () => {
  it.each(['bad-stored.bin', 'bad-deflated.txt'])('%s: errors with INTEGRITY before its end', async (name) => {
    const result = await consume(storage.node(`z:${name}`).createReadStream());
    expect(result.ended).toBe(false);
    expect(result.error).toBeInstanceOf(UfsError);
    expect((result.error as UfsError).code).toBe('INTEGRITY');
    expect((result.error as UfsError).message).toMatch(/CRC-32 mismatch in entry "bad-/);
    // The last bytes were held back until the CRC-32 was known: the consumer never had the whole entry.
    expect(result.bytes).toBeLessThan(SIZE);
    // Whole reads reject as before.
    await expect(storage.node(`z:${name}`).readBytes()).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it.each(['good-stored.bin', 'good-deflated.txt'])('%s: a good entry streams whole and ends', async (name) => {
    const chunks: Buffer[] = [];
    const stream = storage.node(`z:${name}`).createReadStream();
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const result = await consume(stream);
    expect(result).toEqual({ bytes: SIZE, ended: true, error: undefined });
    expect(Buffer.concat(chunks).equals(name.endsWith('.bin') ? storedData : deflatedData)).toBe(true);
  });

  it('a byte range of a damaged entry is not checked (it cannot be): its bytes come as stored', async () => {
    const range = await readAll(
      storage.node('z:bad-stored.bin').createReadStream({ start: SIZE - 1001, end: SIZE - 999 }),
    );
    expect([...range]).toEqual([storedData[SIZE - 1001], storedData[SIZE - 1000]! ^ 0x01, storedData[SIZE - 999]]);
  });
});

describe('a zip entry with a bad CRC-32, served over HTTP', () => {
  /** A GET with node:http: status, declared length, bytes received and whether the body arrived complete. */
  function fetchRaw(path: string): Promise<{ status: number; length: number; received: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      get(`${base}/${path}`, (res: IncomingMessage) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => (received += chunk.length));
        res.on('error', () => undefined); // the server cut the answer short: seen as `complete: false`
        res.on('close', () =>
          resolve({
            status: res.statusCode!,
            length: Number(res.headers['content-length']),
            received,
            complete: res.complete,
          }),
        );
      }).on('error', reject);
    });
  }

  it.each(['bad-stored.bin', 'bad-deflated.txt'])('%s: the answer is cut short, never a complete 200', async (name) => {
    served.length = 0;
    const answer = await fetchRaw(name);
    expect(answer.status).toBe(200);
    expect(answer.length).toBe(SIZE);
    expect(answer.complete).toBe(false);
    expect(answer.received).toBeLessThan(SIZE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(served[0]?.error?.code).toBe('INTEGRITY');
  });

  it('a good entry is served whole', async () => {
    const answer = await fetchRaw('good-deflated.txt');
    expect(answer).toEqual({ status: 200, length: SIZE, received: SIZE, complete: true });
  });
});
