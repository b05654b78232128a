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

/** Writes `size` bytes to `path` from one reused 1 MiB block; `stamp` may change the block before each write. */
async function writeBlocks(path: string, size: number, block: Buffer, stamp?: (index: number) => void): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += CHUNK) {
      stamp?.(at / CHUNK);
      await handle.write(block, 0, Math.min(CHUNK, size - at));
    }
  } finally {
    await handle.close();
  }
}

/** Writes `size` bytes of pseudo-random data (a 1 MiB block with a counter per chunk) to `path`, streamed. */
async function generate(path: string, size: number): Promise<void> {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) block.writeUInt32LE((i * 2654435761 + 7) >>> 0, i);
  await writeBlocks(path, size, block, (index) => block.writeUInt32LE(index, 0));
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
  await writeBlocks(scratch, size, Buffer.alloc(CHUNK));
  await rm(scratch);
}

/** Baseline 1: the same file written with node:fs streams (read → write), optionally fsynced like the server does. */
async function streamCopy(file: string, target: string, fsync: boolean): Promise<void> {
  await pipeline(createReadStream(file, READ), createWriteStream(target, { flush: fsync }));
}

/**
 * Baseline 2: node:fs file handles and two reused 1 MiB buffers, the next read in flight while the last one is
 * written (no per-read allocation, so no garbage collection: the same treatment the node:http client gets).
 */
async function handleCopy(file: string, target: string, fsync: boolean): Promise<void> {
  const [source, sink] = await Promise.all([open(file, 'r'), open(target, 'wx')]);
  try {
    const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
    let writing: Promise<unknown> = Promise.resolve();
    for (let position = 0, turn = 0; ; turn++) {
      const buffer = buffers[turn % 2]!;
      const { bytesRead } = await source.read(buffer, 0, CHUNK, position);
      await writing;
      if (bytesRead === 0) break;
      writing = sink.write(buffer, 0, bytesRead, position);
      position += bytesRead;
    }
    if (fsync) await sink.sync();
  } finally {
    await Promise.all([source.close(), sink.close()]);
  }
}

/** Times one node:fs baseline. */
async function rawCopy(
  copy: typeof streamCopy,
  file: string,
  target: string,
  fsync: boolean,
  prepare: () => Promise<void>,
): Promise<number> {
  await prepare();
  const started = performance.now();
  await copy(file, target, fsync);
  const seconds = (performance.now() - started) / 1000;
  await rm(target);
  return seconds;
}

/**
 * Streams the file to `PUT /files/{sha256}/content` with node:http (hashed while streaming, verified, placed).
 * The file is read into four reused 1 MiB buffers, each read again once the socket has taken it: a read stream
 * allocates a new buffer per read, and in a process with a large heap (this one runs under tsx) the garbage
 * collection that external memory triggers cost the client ~0.9 CPU-seconds per GiB, taken from the server's cores.
 */
async function nodeUpload(url: string, key: string, file: string, size: number): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
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
      const free: Buffer[] = Array.from({ length: 4 }, () => Buffer.allocUnsafeSlow(CHUNK));
      let wake: (() => void) | undefined;
      const release = (buffer: Buffer) => {
        free.push(buffer);
        wake?.();
        wake = undefined;
      };
      const send = async () => {
        for (let position = 0; position < size;) {
          while (free.length === 0) await new Promise<void>((resume) => (wake = resume));
          const buffer = free.pop()!;
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size - position), position);
          if (bytesRead === 0) throw new Error(`${file} is shorter than ${size} bytes`);
          position += bytesRead;
          req.write(buffer.subarray(0, bytesRead), () => release(buffer));
        }
        req.end();
      };
      send().catch((err: unknown) => {
        req.destroy();
        reject(err as Error);
      });
    });
  } finally {
    await handle.close();
  }
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
  const target = join(dir, 'raw.bin');
  const streams = {
    noSync: await best(() => rawCopy(streamCopy, file, target, false, prepare)),
    sync: await best(() => rawCopy(streamCopy, file, target, true, prepare)),
  };
  const handles = {
    noSync: await best(() => rawCopy(handleCopy, file, target, false, prepare)),
    sync: await best(() => rawCopy(handleCopy, file, target, true, prepare)),
  };
  const viaNode = await upload((url, key) => nodeUpload(url, key, file, size));
  const viaCurl = (await hasCurl()) ? await upload((url, key) => curlUpload(url, key, file)) : undefined;
  await rm(file);
  return { size, state, streams, handles, viaNode, viaCurl };
}
