// concat(): lazy concatenation across backends, byte ranges spanning sources, errors, copying the result.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashBytes } from '@org/core';
import { LocalBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { concat, ConcatNode, zip } from '../src/virtual/index.js';
import { counting } from './copy-helpers.js';
import { readAll, rejectsWith, tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let localCalls: ReturnType<typeof counting>['calls'];
let memoryCalls: ReturnType<typeof counting>['calls'];
let a: StorageNode;
let b: StorageNode;
let c: StorageNode;

beforeEach(async () => {
  dir = await tempDir('ufs-concat-');
  storage = new StorageManager();
  const local = counting(new LocalBackend({ root: dir.path, mountName: 'local' }));
  const memory = counting(new MemoryBackend({ mountName: 'memory' }));
  localCalls = local.calls;
  memoryCalls = memory.calls;
  await storage.mountBackend('local', local.backend);
  await storage.mountBackend('memory', memory.backend);
  a = storage.node('memory:parts/a.txt');
  b = storage.node('local:parts/b.txt');
  c = storage.node('memory:parts/c.txt');
  await a.writeText('0123456789'); // bytes 0..9
  await b.writeText('abcdefghij'); // bytes 10..19
  await c.writeText('KLMNOPQRST'); // bytes 20..29
  delete localCalls.read;
  delete memoryCalls.read;
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const WHOLE = '0123456789abcdefghijKLMNOPQRST';

describe('concat', () => {
  it('reads as the sources one after another; size is their sum', async () => {
    const joined = concat(a, b, c);
    expect(joined).toBeInstanceOf(ConcatNode);
    expect(joined.fullpath).toBe('concat(memory:parts/a.txt, local:parts/b.txt, memory:parts/c.txt)');
    expect(joined.basename).toBe('a.txt');
    expect(joined.named('all.log').mimetype).toBe('text/plain'); // .log
    const stat = await joined.stat();
    expect(stat).toMatchObject({ isFile: true, isDir: false, size: 30 });
    expect(stat.mtime).toBeInstanceOf(Date);
    expect(await joined.size()).toBe(30);
    expect(await joined.readText()).toBe(WHOLE);
    expect((await joined.readBytes()).toString()).toBe(WHOLE);
    expect((await readAll(joined.createReadStream())).toString()).toBe(WHOLE);
    expect(await joined.hash('sha256')).toBe(hashBytes(Buffer.from(WHOLE), 'sha256'));
    expect(await joined.exists()).toBe(true);
  });

  it.each([
    [0, 29],
    [5, 24], // a → b → c
    [8, 12], // a → b
    [10, 19], // exactly b
    [13, 13],
    [25, undefined],
    [0, 100], // past the end: cut at the end
  ])('range %p..%p', async (start, end) => {
    const joined = concat(a, b, c);
    const got = await readAll(await joined.openReadStream({ start, end }));
    expect(got.toString()).toBe(WHOLE.slice(start, end === undefined ? undefined : end + 1));
  });

  it('opens only the sources a range overlaps, with their own sub-ranges', async () => {
    const got = await readAll(concat(a, b, c).createReadStream({ start: 12, end: 15 }));
    expect(got.toString()).toBe('cdef');
    expect(localCalls.read).toBe(1);
    expect(memoryCalls.read).toBeUndefined();
  });

  it('opens each source only when the stream reaches it', async () => {
    const big = storage.node('local:big.bin');
    await big.writeBytes(Buffer.alloc(4 * 1024 * 1024, 1));
    delete localCalls.read;
    const stream = concat(big, a).createReadStream();
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(localCalls.read).toBe(1);
    expect(memoryCalls.read).toBeUndefined(); // a.txt not opened yet
    let rest = (first.value as Buffer).byteLength;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      rest += (next.value as Buffer).length;
    expect(rest).toBe(4 * 1024 * 1024 + 10);
    expect(memoryCalls.read).toBe(1);
  });

  it('a source of unknown size (a compressed zip) is read through to cut the range', async () => {
    const archive = zip([a]); // size unknown until produced
    expect((await archive.stat()).size).toBeUndefined();
    const joined = concat(b, archive, c);
    expect((await joined.stat()).size).toBeUndefined();
    const whole = await joined.readBytes();
    expect(whole.subarray(0, 10).toString()).toBe('abcdefghij');
    expect(whole.subarray(-10).toString()).toBe('KLMNOPQRST');
    const tail = await readAll(await joined.openReadStream({ start: whole.length - 12 }));
    expect(tail.equals(whole.subarray(whole.length - 12))).toBe(true);
    const middle = await readAll(await joined.openReadStream({ start: 8, end: 14 }));
    expect(middle.equals(whole.subarray(8, 15))).toBe(true);
  });

  it('copies to any mount like a file', async () => {
    const summary = await concat(a, b, c).named('joined.txt').copyTo(storage.node('local:out/joined.txt'));
    expect(summary).toMatchObject({ files: 1, bytes: 30 });
    expect(await storage.node('local:out/joined.txt').readText()).toBe(WHOLE);
  });

  it('a missing source rejects before any byte; a folder is refused; no source at all is refused', async () => {
    const missing = storage.node('local:nope.txt');
    await rejectsWith(concat(a, missing).openReadStream(), 'NOT_FOUND');
    await rejectsWith(concat(a, missing).stat(), 'NOT_FOUND');
    expect(await concat(a, missing).exists()).toBe(false);
    const lazy = concat(a, missing).createReadStream();
    await rejectsWith(readAll(lazy), 'NOT_FOUND');
    const error = await rejectsWith(concat(a, storage.node('local:parts')).readText(), 'INVALID_INPUT');
    expect(error.message).toContain('"local:parts" is a folder');
    throwsWith(() => concat(), 'INVALID_INPUT');
    await rejectsWith(concat(a).openReadStream({ start: 5, end: 2 }), 'INVALID_INPUT');
  });
});

it('concat of concat', async () => {
  const inner = concat(a, b);
  expect(await concat(inner, c, inner).readText()).toBe(WHOLE + WHOLE.slice(0, 20));
});
