import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashBytes } from '@org/core';
import { interceptBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { drain, readAll, rejectsWith, tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: dir.path },
    { name: 'memory', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('names (no I/O)', () => {
  it('fullpath, path, basename, stem, suffix, ext, dirname, mimetype', async () => {
    const node = storage.node('memory:photos/2024/holiday.tar.gz');
    expect(node.fullpath).toBe('memory:photos/2024/holiday.tar.gz');
    expect(node.path).toBe('photos/2024/holiday.tar.gz');
    expect(node.mountName).toBe('memory');
    expect(node.basename).toBe('holiday.tar.gz');
    expect(node.stem).toBe('holiday.tar');
    expect(node.suffix).toBe('.gz');
    expect(node.ext).toBe('gz');
    expect(node.dirname).toBe('memory:photos/2024');
    expect(node.mimetype).toBe('application/gzip');
    expect(storage.node('memory:a/pic.JPG').mimetype).toBe('image/jpeg');
    expect(storage.node('memory:a/unknown.zzz').mimetype).toBe('application/octet-stream');
    expect(storage.node('memory:.hidden').suffix).toBe('');
    expect(storage.node('memory:.hidden').stem).toBe('.hidden');
    expect(String(node)).toBe(node.fullpath);
    expect(JSON.stringify({ node })).toBe('{"node":"memory:photos/2024/holiday.tar.gz"}');
  });

  it('mimetype comes from the extension only: a name that equals one has none', async () => {
    for (const path of ['notes/html', 'bin/js', 'src/c', 'docs/pdf', 'json', '.html']) {
      const node = storage.node(`memory:${path}`);
      expect([path, node.ext, node.mimetype]).toEqual([path, '', 'application/octet-stream']);
    }
    expect(storage.node('memory:notes/page.html').mimetype).toBe('text/html');
    expect(storage.node('memory:a.tar.gz').mimetype).toBe('application/gzip');
    await storage.node('memory:notes/html').writeText('<b>not html</b>');
    expect((await storage.node('memory:notes/html').stat()).contentType).not.toBe('text/html');
    await storage.node('memory:notes/page.html').writeText('<b>html</b>');
    expect((await storage.node('memory:notes/page.html').stat()).contentType).toBe('text/html');
  });

  it('arguments of the wrong type are INVALID_INPUT naming them, not TypeErrors', async () => {
    const a = storage.node('memory:a');
    expect(throwsWith(() => a.child(5 as never), 'INVALID_INPUT').message).toBe(
      '[ufs] [memory] child "memory:a": each part must be a string, not number 5 (part 1)',
    );
    throwsWith(() => a.child('b', null as never), 'INVALID_INPUT');
    throwsWith(() => storage.node(5 as never), 'INVALID_INPUT');
    throwsWith(() => storage.node('memory:a', 5 as never), 'INVALID_INPUT');
    await a.writeText('text');
    const err = await rejectsWith(a.readText('utf-9' as never), 'INVALID_INPUT');
    expect(err.message).toContain('read "memory:a": unknown text encoding "utf-9"');
    await rejectsWith(a.writeText('x', { encoding: 'utf-9' as never }), 'INVALID_INPUT');
    await rejectsWith(a.writeText(5 as never), 'INVALID_INPUT');
    expect(await a.readText('latin1')).toBe('text');
  });

  it('node(mount, ...parts), child(), parent chains that stop at the root', () => {
    const a = storage.node('memory', 'a', 'b', 'c.txt');
    expect(a.fullpath).toBe('memory:a/b/c.txt');
    expect(storage.node('memory:a', 'b/c.txt').equals(a)).toBe(true);
    expect(storage.node('memory:/a/b/c.txt/').equals(a)).toBe(true);
    expect(storage.node('memory:a').child('b', 'c.txt').equals(a)).toBe(true);
    expect(a.parent.fullpath).toBe('memory:a/b');
    expect(a.parent.parent.parent.fullpath).toBe('memory:');
    expect(a.parent.parent.parent.parent.isRoot).toBe(true);
    expect(storage.node('memory').isRoot).toBe(true);
    throwsWith(() => a.child('../x'), 'INVALID_INPUT');
    throwsWith(() => a.child('x/../../y'), 'INVALID_INPUT');
    throwsWith(() => storage.node('nosuch:x'), 'NOT_FOUND');
  });
});

describe.each(['local', 'memory'])('node API on %s', (mount) => {
  const node = (path: string): StorageNode => storage.node(`${mount}:${path}`);

  it('stat, exists, isFile, isDir, size, mtime', async () => {
    const file = node('s/file.txt');
    expect(await file.exists()).toBe(false);
    expect(await file.isFile()).toBe(false);
    await rejectsWith(file.stat(), 'NOT_FOUND');
    await rejectsWith(file.size(), 'NOT_FOUND');
    const before = Date.now() - 2000;
    await file.writeText('12345');
    const stat = await file.stat();
    expect(stat).toMatchObject({ size: 5, isFile: true, isDir: false });
    expect(stat.mtime!.getTime()).toBeGreaterThan(before);
    expect(await file.exists()).toBe(true);
    expect(await file.isFile()).toBe(true);
    expect(await file.isDir()).toBe(false);
    expect(await file.size()).toBe(5);
    expect((await file.mtime())!.getTime()).toBe(stat.mtime!.getTime());
    expect(await node('s').isDir()).toBe(true);
    expect(await node('').isDir()).toBe(true);
  });

  it('hash: md5 and sha256 of the content', async () => {
    const content = 'hash me, please';
    await node('h.txt').writeText(content);
    expect(await node('h.txt').hash('md5')).toBe(hashBytes(content, 'md5'));
    expect(await node('h.txt').hash('sha256')).toBe(hashBytes(content, 'sha256'));
    expect(await node('h.txt').hash()).toBe(hashBytes(content, 'sha256'));
    await rejectsWith(node('').hash(), 'INVALID_INPUT');
  });

  it('reads text, bytes and byte ranges', async () => {
    await node('r.txt').writeText('0123456789');
    expect(await node('r.txt').readText()).toBe('0123456789');
    expect(await node('r.txt').readBytes()).toEqual(Buffer.from('0123456789'));
    expect((await readAll(node('r.txt').createReadStream({ start: 2, end: 4 }))).toString()).toBe('234');
    expect((await readAll(node('r.txt').createReadStream({ start: 7 }))).toString()).toBe('789');
    expect((await readAll(node('r.txt').createReadStream({ end: 0 }))).toString()).toBe('0');
    expect((await readAll(await node('r.txt').openReadStream({ start: 9, end: 100 }))).toString()).toBe('9');
    await rejectsWith(node('missing.txt').openReadStream(), 'NOT_FOUND');
    await rejectsWith(node('r.txt').openReadStream({ start: 5, end: 2 }), 'INVALID_INPUT');
    await rejectsWith(readAll(node('missing.txt').createReadStream()), 'NOT_FOUND');
    await rejectsWith(node('r.txt').readBytes({ maxBytes: 3 }), 'TOO_LARGE');
    expect(await node('latin1.txt').writeText('é', { encoding: 'latin1' })).toMatchObject({ written: true, size: 1 });
    expect(await node('latin1.txt').readText('latin1')).toBe('é');
  });

  it('writes streams and async iterables, creating parents, with progress', async () => {
    const progress: number[] = [];
    const outcome = await node('deep/er/s.bin').write(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), {
      onProgress: (n) => progress.push(n),
    });
    expect(outcome).toMatchObject({ written: true, size: 4 });
    expect(progress[progress.length - 1]).toBe(4);
    async function* parts() {
      yield new TextEncoder().encode('x');
      yield Buffer.from('yz');
    }
    await node('deep/it.bin').write(parts());
    expect(await node('deep/it.bin').readText()).toBe('xyz');
    expect(await node('deep/er').isDir()).toBe(true);
  });

  it('ifNotExists refuses to replace', async () => {
    await node('once.txt').writeText('first', { ifNotExists: true });
    await rejectsWith(node('once.txt').writeText('second', { ifNotExists: true }), 'ALREADY_EXISTS');
    expect(await node('once.txt').readText()).toBe('first');
  });

  it('skipIfUnchanged compares size and hash, for buffers and plain streams', async () => {
    expect(await node('same.txt').writeText('content', { skipIfUnchanged: true })).toMatchObject({ written: true });
    expect(await node('same.txt').writeText('content', { skipIfUnchanged: true })).toEqual({ written: false, size: 7 });
    expect(
      await node('same.txt').write(Readable.from([Buffer.from('cont'), Buffer.from('ent')]), { skipIfUnchanged: true }),
    ).toEqual({ written: false, size: 7 });
    expect(await node('same.txt').writeText('CONTENT', { skipIfUnchanged: true })).toMatchObject({ written: true });
    expect(
      await node('same.txt').write(Readable.from([Buffer.from('changed by stream')]), { skipIfUnchanged: true }),
    ).toMatchObject({ written: true, size: 17 });
    expect(await node('same.txt').readText()).toBe('changed by stream');
  });

  it('createWriteStream writes with backpressure and reports the outcome', async () => {
    const stream = node('ws/out.txt').createWriteStream();
    for (let i = 0; i < 100; i++) stream.write(`line ${i}\n`);
    stream.end();
    const outcome = await stream.done();
    expect(outcome.written).toBe(true);
    const text = await node('ws/out.txt').readText();
    expect(text.split('\n')).toHaveLength(101);
    expect(outcome.size).toBe(Buffer.byteLength(text));
  });

  it('a destroyed write stream leaves nothing behind', async () => {
    const stream = node('ws/aborted.txt').createWriteStream();
    stream.on('error', () => undefined);
    stream.write('partial');
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.destroy(new Error('stop'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await node('ws/aborted.txt').exists()).toBe(false);
  });

  it('append adds to the end (and creates)', async () => {
    await node('log/a.log').append(Readable.from([Buffer.from('one\n')]));
    await node('log/a.log').append(Readable.from([Buffer.from('two\n')]));
    expect(await node('log/a.log').readText()).toBe('one\ntwo\n');
  });

  it('mkdir with parents and existOk', async () => {
    await rejectsWith(node('m/n/o').mkdir(), 'NOT_FOUND');
    await node('m/n/o').mkdir({ parents: true });
    expect(await node('m/n/o').isDir()).toBe(true);
    await rejectsWith(node('m/n/o').mkdir({ parents: true }), 'ALREADY_EXISTS');
    await node('m/n/o').mkdir({ parents: true, existOk: true });
    await node('m/file').writeText('x');
    await rejectsWith(node('m/file').mkdir({ existOk: true }), 'ALREADY_EXISTS');
  });

  describe('listing', () => {
    beforeEach(async () => {
      for (const key of ['t/a.txt', 't/b.md', 't/.dot.txt', 't/sub/c.txt', 't/sub/deeper/d.txt', 't/sub/e.md'])
        await node(key).writeText(key);
    });

    it('children() gives one level with the listed stat', async () => {
      const kids = await node('t').children();
      expect(kids.map((k) => k.basename)).toEqual(['.dot.txt', 'a.txt', 'b.md', 'sub']);
      const a = kids.find((k) => k.basename === 'a.txt')!;
      expect(a.listed).toMatchObject({ isFile: true, size: 7 });
      expect(kids.find((k) => k.basename === 'sub')!.listed).toMatchObject({ isDir: true });
    });

    it('list() iterates recursively, stable order', async () => {
      const all = (await drain(node('t').list({ recursive: true }))) as StorageNode[];
      expect(all.map((n) => n.path)).toEqual([
        't/.dot.txt',
        't/a.txt',
        't/b.md',
        't/sub',
        't/sub/c.txt',
        't/sub/deeper',
        't/sub/deeper/d.txt',
        't/sub/e.md',
      ]);
    });

    it('glob: * does not cross "/", ** does, and a "/" pattern implies recursion', async () => {
      const names = async (glob: string, recursive?: boolean) =>
        ((await drain(node('t').list({ glob, recursive }))) as StorageNode[]).map((n) => n.path);
      expect(await names('*.txt')).toEqual(['t/.dot.txt', 't/a.txt']);
      expect(await names('*.txt', true)).toEqual(['t/.dot.txt', 't/a.txt']);
      expect(await names('**/*.md')).toEqual(['t/b.md', 't/sub/e.md']);
      expect(await names('sub/*.txt')).toEqual(['t/sub/c.txt']);
      expect(await names('**/d.txt')).toEqual(['t/sub/deeper/d.txt']);
    });

    it('listPage() with pageSize and cursor visits every entry once', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await node('t').listPage({ recursive: true, pageSize: 3, cursor });
        expect(page.nodes.length).toBeLessThanOrEqual(3);
        seen.push(...page.nodes.map((n) => n.path));
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(8);
      expect(new Set(seen).size).toBe(8);
      const resumed = (await drain(
        node('t').list({
          recursive: true,
          pageSize: 3,
          cursor: (await node('t').listPage({ recursive: true, pageSize: 3 })).cursor,
        }),
      )) as StorageNode[];
      expect(resumed.map((n) => n.path)).toEqual(seen.slice(3));
    });

    it('a missing folder lists as empty; a file is not a folder', async () => {
      expect(await node('nope').children()).toEqual([]);
      await rejectsWith(node('t/a.txt').children(), 'INVALID_INPUT');
    });

    it('delete: files, empty folders, recursive trees; missing is fine', async () => {
      await node('t/a.txt').delete();
      expect(await node('t/a.txt').exists()).toBe(false);
      await node('t/a.txt').delete();
      await rejectsWith(node('t/sub').delete(), 'INVALID_INPUT');
      await node('t/sub').delete({ recursive: true });
      expect(await node('t/sub/deeper/d.txt').exists()).toBe(false);
      expect(await node('t/sub').exists()).toBe(false);
      await node('empty').mkdir();
      await node('empty').delete();
      expect(await node('empty').exists()).toBe(false);
      expect((await node('t').children()).map((n) => n.basename)).toEqual(['.dot.txt', 'b.md']);
    });
  });

  it('URLs: UNSUPPORTED naming mount and operation when the mount has none', async () => {
    await node('u.txt').writeText('u');
    const err = await rejectsWith(node('u.txt').url(), 'UNSUPPORTED');
    expect(err.message).toBe(
      `[ufs] [${mount}] url "${mount}:u.txt": the ${mount} backend of mount "${mount}" does not support url`,
    );
    await rejectsWith(node('u.txt').uploadUrl(), 'UNSUPPORTED');
  });
});

describe('backend-specific node behaviour', () => {
  it('memory keeps content type, cache control and user metadata; setMetadata replaces it', async () => {
    const file = storage.node('memory:m/pic.png');
    await file.writeBytes(Buffer.from([1, 2, 3]), { metadata: { owner: 'ann' }, cacheControl: 'max-age=60' });
    expect(await file.stat()).toMatchObject({
      contentType: 'image/png',
      cacheControl: 'max-age=60',
      metadata: { owner: 'ann' },
    });
    expect(await file.getMetadata()).toEqual({ owner: 'ann' });
    await file.setMetadata({ owner: 'bob', tag: 'x' });
    expect(await file.getMetadata()).toEqual({ owner: 'bob', tag: 'x' });
    expect(await file.readBytes()).toEqual(Buffer.from([1, 2, 3]));
  });

  it('user metadata may not be named mtime (any case) on any backend: object stores keep the time under it', async () => {
    const file = storage.node('memory:m/t.txt');
    for (const name of ['mtime', 'MTime']) {
      const err = await rejectsWith(file.writeText('x', { metadata: { [name]: 'tuesday' } }), 'INVALID_INPUT');
      expect(err.message).toContain(`metadata name "${name}" is reserved`);
    }
    expect(await file.exists()).toBe(false);
    await file.writeText('x', { metadata: { owner: 'ann' } });
    await rejectsWith(file.setMetadata({ owner: 'bob', mtime: '2020-01-01T00:00:00Z' }), 'INVALID_INPUT');
    expect(await file.getMetadata()).toEqual({ owner: 'ann' });
  });

  it('local refuses user metadata with UNSUPPORTED instead of dropping it', async () => {
    const file = storage.node('local:m.txt');
    const err = await rejectsWith(file.writeText('x', { metadata: { a: 'b' } }), 'UNSUPPORTED');
    expect(err.message).toContain('mount "local"');
    await file.writeText('x');
    expect(await file.getMetadata()).toEqual({});
    await rejectsWith(file.setMetadata({ a: 'b' }), 'UNSUPPORTED');
  });

  it('hash uses the stored MD5 of memory without reading, and streams otherwise', async () => {
    await storage.configure([{ name: 'counted', protocol: 'memory', layers: [{ type: 'metrics' }] }]);
    const file = storage.node('counted:f.bin');
    await file.writeBytes(Buffer.alloc(1000, 7));
    const reads = () => storage.metrics('counted')!.byOperation.read?.calls ?? 0;
    expect(await file.hash('md5')).toBe(hashBytes(Buffer.alloc(1000, 7), 'md5'));
    expect(reads()).toBe(0);
    expect(await file.hash('sha256')).toBe(hashBytes(Buffer.alloc(1000, 7), 'sha256'));
    expect(reads()).toBe(1);
  });

  it('local url() is the public URL when baseUrl is set', async () => {
    await storage.configure([
      { name: 'pub', protocol: 'local', root: dir.path, baseUrl: 'https://cdn.example.com/files/' },
    ]);
    expect(await storage.node('pub:a dir/ü.txt').url()).toBe('https://cdn.example.com/files/a%20dir/%C3%BC.txt');
  });

  it('range reads are emulated for backends without native ranges', async () => {
    const inner = new MemoryBackend({ mountName: 'norange' });
    const seenRanges: [number | undefined, number | undefined][] = [];
    const noRange = interceptBackend(
      inner,
      (call, next) => {
        if (call.op !== 'read') return next();
        const { start, end, ...rest } = (call.args[1] ?? {}) as { start?: number; end?: number };
        seenRanges.push([start, end]);
        return next([call.key, rest]);
      },
      { capabilities: { ...inner.capabilities, range: false } },
    );
    await storage.mountBackend('norange', noRange);
    const file = storage.node('norange:big.bin');
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    await file.writeBytes(bytes);
    expect(await readAll(file.createReadStream({ start: 70_000, end: 200_000 }))).toEqual(
      bytes.subarray(70_000, 200_001),
    );
    expect(await readAll(file.createReadStream({ start: 299_999 }))).toEqual(bytes.subarray(299_999));
    expect(seenRanges.length).toBe(2);
    expect(seenRanges.every(([s, e]) => s === undefined && e === undefined)).toBe(true);
  });
});
