import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MemoryBackend, listAll, StorageManager } from '../src/index.js';
import { drain, readAll, rejectsWith } from './helpers.js';

const put = (b: MemoryBackend, key: string, text: string) => b.write(key, Readable.from([Buffer.from(text)]));

describe('memory backend', () => {
  it('ifNotExists is checked when the write completes: of two overlapping writers one wins', async () => {
    const b = new MemoryBackend({ mountName: 'm' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow() {
      yield Buffer.from('slow ');
      await gate;
      yield Buffer.from('writer');
    }
    const first = b.write('k', slow(), { ifNotExists: true });
    await put(b, 'k', 'fast writer');
    release();
    await rejectsWith(first, 'ALREADY_EXISTS');
    expect((await readAll(await b.read('k'))).toString()).toBe('fast writer');
  });

  it('nothing is visible before a write completes, and a failed write leaves nothing', async () => {
    const b = new MemoryBackend({ mountName: 'm' });
    async function* broken() {
      yield Buffer.from('part');
      throw new Error('gone');
    }
    await rejectsWith(b.write('x', broken()), 'UNEXPECTED');
    expect(await b.stat('x')).toBeNull();
  });

  it('behaves like a disk for folders: parents exist, files and folders do not overlap', async () => {
    const b = new MemoryBackend({ mountName: 'm' });
    await put(b, 'a/b/c.txt', 'c');
    expect(await b.stat('a/b')).toMatchObject({ isDir: true });
    await rejectsWith(put(b, 'a/b', 'x'), 'INVALID_INPUT');
    await rejectsWith(put(b, 'a/b/c.txt/d', 'x'), 'INVALID_INPUT');
    await rejectsWith(b.mkdir('a/b/c.txt/d', { parents: true }), 'INVALID_INPUT');
    await rejectsWith(b.list('a/b/c.txt'), 'INVALID_INPUT');
  });

  it('renames folders with everything in them', async () => {
    const b = new MemoryBackend({ mountName: 'm' });
    await put(b, 'src/one.txt', '1');
    await put(b, 'src/deep/two.txt', '2');
    await b.mkdir('src/empty', { parents: true });
    await b.rename('src', 'dst/moved');
    const keys = ((await drain(listAll(b, '', { recursive: true }))) as { key: string }[]).map((e) => e.key);
    expect(keys).toEqual([
      'dst',
      'dst/moved',
      'dst/moved/deep',
      'dst/moved/deep/two.txt',
      'dst/moved/empty',
      'dst/moved/one.txt',
    ]);
    await rejectsWith(b.rename('dst', 'dst/inside'), 'INVALID_INPUT');
    await b.rename('dst/moved/one.txt', 'dst/moved/one.txt');
    expect((await readAll(await b.read('dst/moved/one.txt'))).toString()).toBe('1');
  });

  it('copy can replace metadata; content is shared, not duplicated', async () => {
    const b = new MemoryBackend({ mountName: 'm' });
    await b.write('a', Readable.from([Buffer.from('abc')]), { metadata: { x: '1' }, contentType: 'text/plain' });
    await b.copy('a', 'b', { metadata: { y: '2' } });
    expect(await b.stat('b')).toMatchObject({ metadata: { y: '2' }, contentType: 'text/plain', size: 3 });
    expect((await b.stat('a'))!.metadata).toEqual({ x: '1' });
  });

  it('dispose forgets everything', async () => {
    const storage = new StorageManager();
    await storage.addMount('m', 'memory://');
    const backend = storage.node('m:').backend;
    await storage.node('m:f').writeText('x');
    await storage.removeMount('m');
    expect(await backend.stat('f')).toBeNull();
  });
});
