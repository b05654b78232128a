import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BenchServer } from './harness.js';

const CHUNK = 1024 * 1024;

/** A deterministic pseudo-random stream of `size` bytes, generated on the fly (never held in memory). */
function source(size: number, seed: number): Readable {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(CHUNK, size - sent);
      const chunk = Buffer.from(block.subarray(0, n));
      chunk.writeUInt32LE(sent / CHUNK, 0);
      sent += n;
      this.push(chunk);
    },
  });
}

async function hashOf(size: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source(size, seed)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes the stream with node:fs (the baseline), with and without fsync. */
async function rawWrite(path: string, size: number, seed: number, fsync: boolean): Promise<number> {
  const started = performance.now();
  await pipeline(source(size, seed), createWriteStream(path));
  if (fsync) {
    const handle = await open(path, 'r');
    await handle.sync();
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(path);
  return size / seconds;
}

/** Streams the bytes to `PUT /files/{sha256}/content` (hashed while streaming, verified, placed). */
async function upload(server: BenchServer, size: number, seed: number, sha: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} ${body}`))));
    });
    source(size, seed).pipe(req);
  });
  return size / ((performance.now() - started) / 1000);
}

export async function benchUpload(server: BenchServer, size: number) {
  const seeds = [1, 2];
  const hashes = await Promise.all(seeds.map((s) => hashOf(size, s)));
  // Best of two runs each, as for the uploads.
  const rawNoSync = Math.max(
    await rawWrite(join(server.dir, 'raw.bin'), size, 9, false),
    await rawWrite(join(server.dir, 'raw.bin'), size, 9, false),
  );
  const rawSync = Math.max(
    await rawWrite(join(server.dir, 'raw.bin'), size, 9, true),
    await rawWrite(join(server.dir, 'raw.bin'), size, 9, true),
  );
  const uploads = [];
  for (const [i, seed] of seeds.entries()) uploads.push(await upload(server, size, seed, hashes[i]!));
  const best = Math.max(...uploads);
  return { size, rawNoSync, rawSync, upload: best, ratioVsRawNoSync: best / rawNoSync, ratioVsRawSync: best / rawSync };
}
