import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hashFile } from '@org/core';
import { startBenchServer } from './harness.js';

const CHUNK = 1024 * 1024;
const READ = { highWaterMark: CHUNK };

/** Writes `size` bytes of pseudo-random data (a 1 MiB block with a counter per chunk) to `path`, streamed. */
async function generate(path: string, size: number): Promise<void> {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) block.writeUInt32LE((i * 2654435761 + 7) >>> 0, i);
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += CHUNK) {
      block.writeUInt32LE(at / CHUNK, 0);
      await handle.write(block, 0, Math.min(CHUNK, size - at));
    }
  } finally {
    await handle.close();
  }
}

/**
 * How the memory the written file lands in was last used, set right before every timed run (baseline and upload
 * alike). On a VM that hands freed memory back to its host (virtio-balloon free page reporting: these machines do
 * so within ~2-3 s), page cache for a new file costs ~2.5 s/GiB of host page faults when the memory is "cold", and
 * ~0.2 s/GiB when it was freed a moment ago ("warm"). Without this the baseline (runs back to back) wrote into warm
 * memory and the uploads (a server start in between) into cold memory.
 * - warm: a scratch file of the same size is written and removed just before the run;
 * - cold: the run waits until freed memory has gone back to the host.
 */
export type MemoryState = 'warm' | 'cold';

const COLD_WAIT_MS = 6000;

async function prepareMemory(dir: string, size: number, state: MemoryState): Promise<void> {
  if (state === 'cold') {
    await new Promise((resolve) => setTimeout(resolve, COLD_WAIT_MS));
    return;
  }
  const scratch = join(dir, 'scratch.bin');
  const block = Buffer.alloc(CHUNK);
  const handle = await open(scratch, 'w');
  try {
    for (let at = 0; at < size; at += CHUNK) await handle.write(block, 0, Math.min(CHUNK, size - at));
  } finally {
    await handle.close();
  }
  await rm(scratch);
}

/** The baseline: the same file written with node:fs streams (read → write), optionally fsynced like the server does. */
async function rawCopy(file: string, target: string, fsync: boolean, prepare: () => Promise<void>): Promise<number> {
  await prepare();
  const started = performance.now();
  await pipeline(createReadStream(file, READ), createWriteStream(target, { flush: fsync }));
  const seconds = (performance.now() - started) / 1000;
  await rm(target);
  return seconds;
}

/** Streams the file to `PUT /files/{sha256}/content` with node:http (hashed while streaming, verified, placed). */
function nodeUpload(url: string, key: string, file: string, size: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(url, {
      method: 'PUT',
      headers: { 'x-api-key': key, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} ${body}`))));
    });
    pipeline(createReadStream(file, READ), req).catch(reject);
  });
}

/** The same upload with `curl -T` (a native client: it takes less of a small machine's CPU from the server). */
function curlUpload(url: string, key: string, file: string): Promise<void> {
  const args = ['-fsS', '-o', '/dev/null', '-T', file, '-H', `x-api-key: ${key}`];
  return new Promise((resolve, reject) =>
    execFile('curl', [...args, '-H', 'content-type: application/octet-stream', url], (error, _out, stderr) =>
      error ? reject(new Error(`curl: ${stderr || error.message}`)) : resolve(),
    ),
  );
}

async function hasCurl(): Promise<boolean> {
  return new Promise((resolve) => execFile('curl', ['--version'], (error) => resolve(!error)));
}

/**
 * A fresh server per upload (so every upload stores new content instead of taking the dedup path), the file on disk
 * with the page cache warm. Best of `runs` for each figure.
 */
export async function benchUpload(dir: string, size: number, state: MemoryState, runs = 3) {
  const file = join(dir, 'upload.bin');
  await generate(file, size);
  const { digest: sha256 } = await hashFile(file); // also warms the page cache
  const best = async (fn: () => Promise<number>) => {
    let min = Infinity;
    for (let i = 0; i < runs; i++) min = Math.min(min, await fn());
    return size / min;
  };
  const upload = (send: (url: string, key: string) => Promise<void>) =>
    best(async () => {
      const server = await startBenchServer(dir);
      try {
        await prepare();
        const started = performance.now();
        await send(`${server.url}/files/${sha256}/content`, server.key);
        return (performance.now() - started) / 1000;
      } finally {
        await server.stop();
        await rm(server.dir, { recursive: true, force: true });
      }
    });
  const prepare = () => prepareMemory(dir, size, state);
  const rawNoSync = await best(() => rawCopy(file, join(dir, 'raw.bin'), false, prepare));
  const rawSync = await best(() => rawCopy(file, join(dir, 'raw.bin'), true, prepare));
  const viaNode = await upload((url, key) => nodeUpload(url, key, file, size));
  const viaCurl = (await hasCurl()) ? await upload((url, key) => curlUpload(url, key, file)) : undefined;
  await rm(file);
  return { size, state, rawNoSync, rawSync, viaNode, viaCurl };
}
