import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashStream } from '@org/core';
import { generated, generatedDigest } from '@org/storage-testing';
import { FileWriter, rest } from '../src/backends/local/file-writer.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

const MiB = 1 << 20;
const openFds = async () => (await readdir('/proc/self/fd')).length;

describe('FileWriter (local writes)', () => {
  it('writes every byte; a durable 40 MiB write flushes in the background as it goes, a small one does not', async () => {
    const big = new FileWriter(join(dir.path, 'big'), { flags: 'wx', highWaterMark: MiB, fsync: true });
    await pipeline(generated(40 * MiB + 123), big);
    expect(big.bytesWritten).toBe(40 * MiB + 123);
    expect((await hashStream(createReadStream(join(dir.path, 'big')))).digest).toBe(
      await generatedDigest(40 * MiB + 123),
    );
    expect(big.flushes).toBeGreaterThanOrEqual(1);

    const small = new FileWriter(join(dir.path, 'small'), { flags: 'wx', highWaterMark: MiB, fsync: true });
    await pipeline(generated(MiB), small);
    expect(small.flushes).toBe(0);
    const notDurable = new FileWriter(join(dir.path, 'fast'), { flags: 'wx', highWaterMark: MiB, fsync: false });
    await pipeline(generated(40 * MiB), notDurable);
    expect(notDurable.flushes).toBe(0);
    expect(notDurable.bytesWritten).toBe(40 * MiB);
  });

  it('"wx" refuses an existing file and leaves it as it was; the stream closes', async () => {
    const path = join(dir.path, 'taken');
    await writeFile(path, 'keep me');
    const file = new FileWriter(path, { flags: 'wx', highWaterMark: MiB, fsync: true });
    await expect(pipeline(Readable.from([Buffer.from('other')]), file)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(file.closed).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('keep me');
  });

  it('a source that fails part way closes the file handle (no descriptor leaks)', async () => {
    const before = await openFds();
    async function* failing() {
      yield Buffer.alloc(20 * MiB, 1);
      throw new Error('source broke');
    }
    const file = new FileWriter(join(dir.path, 'broken'), { flags: 'wx', highWaterMark: MiB, fsync: true });
    const failure = await pipeline(failing(), file).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failure as Error | undefined)?.message).toBe('source broke');
    // Destroying reports the error again before 'close' (as fs.WriteStream does), so wait for 'close' alone.
    if (!file.closed) await new Promise((resolve) => file.once('close', resolve));
    expect(await openFds()).toBe(before);
  });

  it('rest: what a short writev left of its buffers', () => {
    const buffers = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
    const text = (left: Buffer[]) => left.map((b) => b.toString()).join('|');
    expect(text(rest(buffers, 0))).toBe('abc|de|fgh');
    expect(text(rest(buffers, 2))).toBe('c|de|fgh');
    expect(text(rest(buffers, 3))).toBe('de|fgh');
    expect(text(rest(buffers, 6))).toBe('gh');
    expect(rest(buffers, 8)).toEqual([]);
  });
});
