// SFTP reads keep several requests in flight (reader.ts): bytes and ranges against a real sshd, and the ordering,
// short-answer and failure logic over a scripted channel (pure logic: which request answers when).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PipelinedRead, type PipelinedReadOptions } from '../../src/backends/sftp/reader.js';
import type { SFTPWrapper } from '../../src/backends/sftp/connection.js';
import { StorageManager } from '../../src/index.js';
import { sftpEndpoint, sftpMount } from '../services/sftp.js';

const sshd = await sftpEndpoint();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-sftp-pipelined-')));
const content = randomBytes(3 * 1024 * 1024 + 12_345);
writeFileSync(join(base, 'big.bin'), content);
writeFileSync(join(base, 'empty.bin'), '');
const storage = new StorageManager();
beforeAll(async () => {
  await storage.configure([sftpMount(sshd, base, 'r')]);
});
afterAll(async () => {
  await storage.dispose();
  await sshd.stop();
  rmSync(base, { recursive: true, force: true });
}, 30_000);

async function range(start: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await storage.node('r:big.bin').openReadStream({ start, end })) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('sftp reads with requests in flight (real sshd)', () => {
  it('give every byte in order, whole and in ranges across request boundaries', async () => {
    expect((await storage.node('r:big.bin').readBytes()).equals(content)).toBe(true);
    expect((await storage.node('r:empty.bin').readBytes()).length).toBe(0);
    for (const [start, end] of [
      [0, 0],
      [65_535, 65_536],
      [65_536, 3 * 65_536 - 1],
      [100_000, 2_500_000],
      [content.length - 10, content.length - 1],
      [content.length - 10, content.length + 5000],
    ] as const) {
      expect((await range(start, end)).equals(content.subarray(start, end + 1))).toBe(true);
    }
    // A start past the end reads nothing.
    expect((await range(content.length + 1)).length).toBe(0);
  });

  it('can be stopped half-way, again and again, and the mount reads on', async () => {
    for (let i = 0; i < 40; i++) {
      const stream = await storage.node('r:big.bin').openReadStream();
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.destroy();
    }
    expect((await range(5, 9)).equals(content.subarray(5, 10))).toBe(true);
  });
});

/** A channel whose read answers come in the order `order` gives (by request number), with `answer` deciding bytes. */
function scriptedChannel(
  file: Buffer,
  answer: (position: number, length: number, index: number) => number | Error = (_p, length) => length,
  reverse = false,
) {
  const pending: Array<() => void> = [];
  let closed = 0;
  let requests = 0;
  const flush = () => {
    const batch = pending.splice(0);
    for (const run of reverse ? batch.reverse() : batch) run();
  };
  const channel = {
    read(_h: Buffer, buf: Buffer, off: number, length: number, position: number, cb: (e?: Error, n?: number) => void) {
      const index = requests++;
      pending.push(() => {
        const result = answer(position, length, index);
        if (result instanceof Error) return cb(result, 0);
        const n = Math.max(0, Math.min(result, file.length - position));
        if (n > 0) file.copy(buf, off, position, position + n);
        cb(undefined, n);
      });
      setImmediate(flush);
    },
    close(_h: Buffer, cb: (e?: Error) => void) {
      closed += 1;
      setImmediate(() => cb());
    },
  };
  return { channel: channel as unknown as SFTPWrapper, closed: () => closed, requests: () => requests };
}

async function collect(read: PipelinedRead): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of read) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('the pipelined reader (scripted channel)', () => {
  const file = randomBytes(100_000);
  const options: PipelinedReadOptions = { chunk: 1000, depth: 7 };

  it('keeps file order when answers come back in reverse', async () => {
    const { channel, closed } = scriptedChannel(file, undefined, true);
    expect((await collect(new PipelinedRead(channel, Buffer.alloc(1), options))).equals(file)).toBe(true);
    expect(closed()).toBe(1);
  });

  it('asks again from where a short answer stopped (servers may answer fewer bytes than asked)', async () => {
    const { channel } = scriptedChannel(file, (_p, length, index) => (index % 3 === 1 ? 17 : length), true);
    expect((await collect(new PipelinedRead(channel, Buffer.alloc(1), options))).equals(file)).toBe(true);
    const ranged = scriptedChannel(file, (_p, length, index) => (index % 4 === 2 ? 1 : length));
    const part = await collect(
      new PipelinedRead(ranged.channel, Buffer.alloc(1), { ...options, start: 999, end: 45_001 }),
    );
    expect(part.equals(file.subarray(999, 45_002))).toBe(true);
  });

  it('fails with the read error and closes the handle once', async () => {
    const failure = new Error('read failed: EIO');
    const { channel, closed } = scriptedChannel(file, (position, length) => (position >= 20_000 ? failure : length));
    await expect(collect(new PipelinedRead(channel, Buffer.alloc(1), options))).rejects.toBe(failure);
    expect(closed()).toBe(1);
  });

  it('never has more than `depth` requests in flight while the reader is not read', async () => {
    // 2,000 chunks of 1,000 bytes: far more than the stream buffers, so an unbounded reader would ask for them all.
    const { channel, requests } = scriptedChannel(randomBytes(2_000_000));
    const read = new PipelinedRead(channel, Buffer.alloc(1), options);
    read.pause();
    read.read(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Chunks buffered up to the stream's own 256 KiB mark, plus at most `depth` asked for.
    expect(requests()).toBeGreaterThan(0);
    expect(requests()).toBeLessThanOrEqual(Math.ceil((256 * 1024) / 1000) + 7);
    read.destroy();
  });
});
