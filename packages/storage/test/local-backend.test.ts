import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashStream } from '@org/core';
import { generated, generatedDigest } from '@org/storage-testing';
import { compareKeys, LocalBackend, listAll, StorageManager } from '../src/index.js';
import { keyBelow } from '../src/backends/local/paths.js';
import { drain, readAll, rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let backend: LocalBackend;

beforeEach(async () => {
  dir = await tempDir();
  backend = new LocalBackend({ root: join(dir.path, 'root'), mountName: 'disk' });
});
afterEach(() => dir.cleanup());

const put = (key: string, text: string) => backend.write(key, Readable.from([Buffer.from(text)]));

describe('local backend: ETags', () => {
  it('a file replaced by one of the same size and modification time has a new ETag', async () => {
    const when = new Date('2024-05-01T12:00:00.000Z');
    await backend.write('a.txt', Readable.from([Buffer.from('first')]), { mtime: when });
    const before = await backend.stat('a.txt');
    await backend.write('a.txt', Readable.from([Buffer.from('other')]), { mtime: when });
    const after = await backend.stat('a.txt');
    expect([after?.size, after?.mtime?.getTime()]).toEqual([before?.size, before?.mtime?.getTime()]);
    expect(after?.etag).toBeDefined();
    expect(after?.etag).not.toBe(before?.etag);
  });

  it('an unchanged file keeps its ETag', async () => {
    await put('b.txt', 'same');
    expect((await backend.stat('b.txt'))?.etag).toBe((await backend.stat('b.txt'))?.etag);
  });
});

describe('local backend: atomic writes', () => {
  it('readers see the old content until the new one is complete; no temporary file stays behind', async () => {
    await put('doc.txt', 'old content');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slowSource() {
      yield Buffer.from('new ');
      await gate;
      yield Buffer.from('content');
    }
    const writing = backend.write('doc.txt', slowSource());
    const temporary = async () => (await readdir(join(dir.path, 'root'))).filter((n) => n.startsWith('.ufs-'));
    for (let i = 0; i < 200 && (await temporary()).length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await readAll(await backend.read('doc.txt'))).toString()).toBe('old content');
    expect(((await drain(listAll(backend, ''))) as { key: string }[]).map((e) => e.key)).toEqual(['doc.txt']);
    expect(await temporary()).toHaveLength(1);
    release();
    await writing;
    expect(await readFile(join(dir.path, 'root/doc.txt'), 'utf8')).toBe('new content');
    expect(await readdir(join(dir.path, 'root'))).toEqual(['doc.txt']);
  });

  it('temporary files of a crashed write (this version or an older one) are not listed', async () => {
    await put('kept.txt', 'x');
    await writeFile(join(dir.path, 'root/.ufs-0123456789abcdef.tmp'), 'old-style leftover');
    await writeFile(join(dir.path, 'root/.ufs-0123456789ab-1z.tmp'), 'leftover');
    await writeFile(join(dir.path, 'root/.ufs-notes.tmp'), 'a file of the user');
    const keys = ((await drain(listAll(backend, ''))) as { key: string }[]).map((e) => e.key).sort();
    expect(keys).toEqual(['.ufs-notes.tmp', 'kept.txt']);
  });

  it('a failed write removes its temporary file and keeps the old content', async () => {
    await put('keep.txt', 'keep');
    async function* broken() {
      yield Buffer.from('partial');
      throw new Error('connection lost');
    }
    const err = await rejectsWith(backend.write('keep.txt', broken()), 'UNEXPECTED');
    expect(err.message).toContain('[ufs] [local] write "disk:keep.txt"');
    expect(await readdir(join(dir.path, 'root'))).toEqual(['keep.txt']);
    expect(await readFile(join(dir.path, 'root/keep.txt'), 'utf8')).toBe('keep');
  });

  it('never leaves an orphan temporary file, even when the source fails before the file is open', async () => {
    // The temporary file opens asynchronously; a source failing at once used to race the cleanup.
    for (let i = 0; i < 200; i++) {
      async function* broken() {
        yield Buffer.from('partial');
        throw new Error('connection lost');
      }
      await backend.write('fresh.txt', broken()).catch(() => undefined);
      expect(await readdir(join(dir.path, 'root'))).toEqual([]);
    }
  });

  it('ifNotExists holds under concurrent writers: exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        backend.write('race.txt', Readable.from([Buffer.from(`writer ${i}`)]), { ifNotExists: true }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason.code === 'ALREADY_EXISTS')).toBe(true);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await readFile(join(dir.path, 'root/race.txt'), 'utf8')).toBe(`writer ${winner}`);
    expect(await readdir(join(dir.path, 'root'))).toEqual(['race.txt']);
  });

  it('keeps the file mode on overwrite, and works without fsync', async () => {
    await put('script.sh', '#!/bin/sh');
    await chmod(join(dir.path, 'root/script.sh'), 0o750);
    await put('script.sh', '#!/bin/sh\necho hi');
    expect((await stat(join(dir.path, 'root/script.sh'))).mode & 0o777).toBe(0o750);
    const nofsync = new LocalBackend({ root: join(dir.path, 'nofsync'), fsync: false, mountName: 'n' });
    await nofsync.write('a', Readable.from([Buffer.from('a')]));
    expect(await readFile(join(dir.path, 'nofsync/a'), 'utf8')).toBe('a');
  });

  it('refuses to write over a folder or read a folder', async () => {
    await backend.mkdir('folder', { parents: true });
    await rejectsWith(put('folder', 'x'), 'INVALID_INPUT');
    await rejectsWith(backend.read('folder'), 'INVALID_INPUT');
    await rejectsWith(put('', 'x'), 'INVALID_INPUT');
  });
});

describe('local backend: listing', () => {
  it('pages a large tree in a stable order, resuming exactly after each cursor', async () => {
    const keys: string[] = [];
    for (let d = 0; d < 12; d++) for (let f = 0; f < 25; f++) keys.push(`d${d}/${f % 2 ? 'x-' : 'x/'}f${f}.txt`);
    await Promise.all(keys.map((key) => put(key, key)));
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await backend.list('', { recursive: true, pageSize: 37, cursor });
      pages.push(page.entries.map((e) => e.key));
      cursor = page.cursor;
    } while (cursor);
    const flat = pages.flat();
    expect(new Set(flat).size).toBe(flat.length);
    expect([...flat].sort(compareKeys)).toEqual(flat);
    expect(flat.filter((k) => k.endsWith('.txt')).sort()).toEqual([...keys].sort());
    expect(pages.slice(0, -1).every((p) => p.length === 37)).toBe(true);
  });

  it('a file added before the cursor is not repeated; one added after is seen', async () => {
    for (const k of ['b', 'c', 'd', 'e']) await put(k, k);
    const first = await backend.list('', { pageSize: 2 });
    expect(first.entries.map((e) => e.key)).toEqual(['b', 'c']);
    await put('a', 'a');
    await put('f', 'f');
    const rest = await backend.list('', { pageSize: 10, cursor: first.cursor });
    expect(rest.entries.map((e) => e.key)).toEqual(['d', 'e', 'f']);
    expect(rest.cursor).toBeUndefined();
  });

  it('rejects a cursor of another listing', async () => {
    for (const k of ['x/1', 'x/2', 'y/1', 'y/2']) await put(k, k);
    const page = await backend.list('x', { pageSize: 1 });
    await rejectsWith(backend.list('y', { cursor: page.cursor }), 'INVALID_INPUT');
    await rejectsWith(backend.list('y', { cursor: 'garbage' }), 'INVALID_INPUT');
  });
});

describe('local backend: other operations', () => {
  it('copy, rename (files and folders) and append', async () => {
    await put('a/src.txt', 'source');
    await backend.copy('a/src.txt', 'b/copy.txt');
    expect(await readFile(join(dir.path, 'root/b/copy.txt'), 'utf8')).toBe('source');
    await backend.rename('a', 'moved/a');
    expect(await backend.stat('a')).toBeNull();
    expect((await backend.stat('moved/a/src.txt'))?.size).toBe(6);
    await backend.append('moved/a/src.txt', Readable.from([Buffer.from('+more')]));
    expect(await readFile(join(dir.path, 'root/moved/a/src.txt'), 'utf8')).toBe('source+more');
    await rejectsWith(backend.copy('moved', 'x'), 'INVALID_INPUT');
    await rejectsWith(backend.rename('', 'x'), 'INVALID_INPUT');
  });

  it('deleting the root empties it (recursive only)', async () => {
    await put('a/b.txt', 'b');
    await put('c.txt', 'c');
    await rejectsWith(backend.delete(''), 'INVALID_INPUT');
    await backend.delete('', { recursive: true });
    expect(await readdir(join(dir.path, 'root'))).toEqual([]);
    expect((await backend.stat(''))?.isDir).toBe(true);
  });

  it('stat gives an etag that changes with the content', async () => {
    await put('e.txt', 'one');
    const before = (await backend.stat('e.txt'))!.etag;
    await new Promise((resolve) => setTimeout(resolve, 15));
    await put('e.txt', 'three');
    expect((await backend.stat('e.txt'))!.etag).not.toBe(before);
  });

  it('creates the root when missing, also after it was removed', async () => {
    expect(await backend.stat('')).toBeNull();
    await put('a.txt', 'a');
    await dir.cleanup();
    await put('b.txt', 'b');
    expect(await readdir(join(dir.path, 'root'))).toEqual(['b.txt']);
  });

  it('a relative root resolves against the working directory', async () => {
    const storage = new StorageManager();
    await storage.configure([{ name: 'rel', protocol: 'local', root: './' }]);
    expect(await storage.node('rel:package.json').exists()).toBe(true);
    await storage.dispose();
  });
});

describe('memory stays flat while streaming a large file', () => {
  it('writes, reads and hashes 256 MiB through a node with bounded memory', async () => {
    const storage = new StorageManager();
    await storage.configure([{ name: 'disk', protocol: 'local', root: join(dir.path, 'big'), fsync: false }]);
    const size = 256 * 1024 * 1024;
    const node = storage.node('disk:big.bin');
    global.gc?.();
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
    }, 5);
    try {
      await node.write(generated(size, 3));
      const { digest, size: read } = await hashStream(node.createReadStream());
      expect(read).toBe(size);
      expect(digest).toBe(await generatedDigest(size, 3));
      expect(await node.hash('sha256')).toBe(digest);
    } finally {
      clearInterval(sampler);
      await storage.dispose();
    }
    expect(peak).toBeLessThan(96 * 1024 * 1024);
  }, 120_000);
});

describe('local backend: keyBelow names the entry a whole-tree failure was about', () => {
  const err = (path?: string) => Object.assign(new Error('EACCES'), path === undefined ? {} : { path });
  it('the entry below the key, when the error has a path below its folder', () => {
    expect(keyBelow('a', '/m/a', err('/m/a/locked'))).toBe('a/locked');
    expect(keyBelow('a', '/m/a', err('/m/a/x/y'))).toBe('a/x/y');
    expect(keyBelow('', '/m', err('/m/locked'))).toBe('locked');
    expect(keyBelow('etc', '/etc', err('/etc/ssl'))).toBe('etc/ssl');
  });
  it('the key itself otherwise: the folder itself, a sibling with a common prefix, no path', () => {
    expect(keyBelow('a', '/m/a', err('/m/a'))).toBe('a');
    expect(keyBelow('a', '/m/a', err('/m/ab/c'))).toBe('a');
    expect(keyBelow('a', '/m/a', err())).toBe('a');
    expect(keyBelow('a', '/m/a', null)).toBe('a');
  });
});
