import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { EntryStat } from '@org/core';
import {
  checkRange,
  compareKeys,
  decodeCursor,
  encodeCursor,
  interceptBackend,
  isReplayable,
  mapSource,
  MemoryBackend,
  pageOf,
  paginate,
  replayable,
  replayableBytes,
  sliceStream,
  StorageManager,
  walkPage,
} from '../src/index.js';
import { drain, readAll, rejectsWith, throwsWith } from './helpers.js';

const entry = (key: string): EntryStat => ({ key, isFile: true, isDir: false, size: 0 });

describe('paging helpers', () => {
  it('compareKeys orders depth-first: a < a/b < a-c', () => {
    expect(['a-c', 'a/b', 'a', 'b', 'a/b/c', 'a.b'].sort(compareKeys)).toEqual([
      'a',
      'a/b',
      'a/b/c',
      'a-c',
      'a.b',
      'b',
    ]);
  });

  it('pageOf pages a sorted array by cursor', () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map(entry);
    const one = pageOf(all, { pageSize: 2 });
    expect(one.entries.map((e) => e.key)).toEqual(['a', 'b']);
    expect(decodeCursor(one.cursor!)).toBe('b');
    const three = pageOf(all, { pageSize: 2, cursor: encodeCursor('d') });
    expect(three).toEqual({ entries: [entry('e')] });
    expect(pageOf(all, { cursor: encodeCursor('bb') }).entries.map((e) => e.key)).toEqual(['c', 'd', 'e']);
    throwsWith(() => pageOf(all, { pageSize: 0 }), 'INVALID_INPUT');
    throwsWith(() => pageOf(all, { cursor: '!!' }), 'INVALID_INPUT');
  });

  it('paginate follows cursors and refuses a cursor loop', async () => {
    const all = Array.from({ length: 7 }, (_, i) => entry(`k${i}`));
    const keys = (
      (await drain(paginate((cursor) => Promise.resolve(pageOf(all, { pageSize: 3, cursor }))))) as EntryStat[]
    ).map((e) => e.key);
    expect(keys).toHaveLength(7);
    await rejectsWith(drain(paginate(async () => ({ entries: [], cursor: 'same' }))), 'UNEXPECTED');
  });

  it('walkPage lists recursively with one-level listings when a backend cannot, across pages', async () => {
    const inner = new MemoryBackend({ mountName: 'w' });
    for (const key of ['a/1', 'a/b/2', 'a/b/c/3', 'd/4', '5'])
      await inner.write(key, Readable.from([Buffer.from(key)]));
    const flat = interceptBackend(
      inner,
      (call, next) => {
        if (call.op === 'list' && (call.args[1] as { recursive?: boolean } | undefined)?.recursive)
          throw new Error('no native recursion');
        return next();
      },
      { capabilities: { ...inner.capabilities, recursiveList: false } },
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await walkPage(flat, '', { pageSize: 2, cursor });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.key));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(['5', 'a', 'a/1', 'a/b', 'a/b/2', 'a/b/c', 'a/b/c/3', 'd', 'd/4']);
    // Through a node, recursive listing on such a backend uses the walk.
    const storage = new StorageManager();
    await storage.mountBackend('flat', flat);
    const nodes = (await drain(storage.node('flat:a').list({ glob: '**/*' }))) as { path: string }[];
    expect(nodes.map((n) => n.path).sort()).toEqual(['a/1', 'a/b', 'a/b/2', 'a/b/c', 'a/b/c/3']);
    await storage.dispose();
  });
});

describe('stream helpers', () => {
  it('sliceStream cuts inclusive ranges across chunk boundaries', async () => {
    const source = () => Readable.from([Buffer.from('0123'), Buffer.from('4567'), Buffer.from('89')]);
    expect((await readAll(sliceStream(source(), 3, 6))).toString()).toBe('3456');
    expect((await readAll(sliceStream(source(), 0, 0))).toString()).toBe('0');
    expect((await readAll(sliceStream(source(), 8))).toString()).toBe('89');
    expect((await readAll(sliceStream(source(), 20))).toString()).toBe('');
  });

  it('sliceStream stops reading the source after the range', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024, 1));
      },
    });
    expect((await readAll(sliceStream(endless, 10, 2000))).length).toBe(1991);
    expect(pulled).toBeLessThan(64); // read-ahead buffering only: an endless source is stopped
    expect(endless.destroyed).toBe(true);
  });

  it('checkRange refuses bad ranges', () => {
    expect(checkRange({})).toEqual({ start: 0, end: undefined });
    throwsWith(() => checkRange({ start: -1 }), 'INVALID_INPUT');
    throwsWith(() => checkRange({ start: 5, end: 4 }), 'INVALID_INPUT');
    throwsWith(() => checkRange({ start: 1.5 }), 'INVALID_INPUT');
  });

  it('replayable sources can be read twice; mapSource keeps them replayable', async () => {
    let opened = 0;
    const source = replayable(() => {
      opened++;
      return Readable.from([Buffer.from('again')]);
    }, 5);
    expect((await readAll(source)).toString()).toBe('again');
    expect((await readAll(source)).toString()).toBe('again');
    expect(opened).toBe(2);
    const bytes = replayableBytes(Buffer.alloc(200_000, 1));
    expect(bytes.size).toBe(200_000);
    expect((await readAll(bytes)).length).toBe(200_000);
    let counted = 0;
    const mapped = mapSource(bytes, async function* (pass) {
      for await (const chunk of pass) {
        counted += chunk.byteLength;
        yield chunk;
      }
    });
    expect(isReplayable(mapped)).toBe(true);
    await readAll(mapped as AsyncIterable<Uint8Array>);
    await readAll(mapped as AsyncIterable<Uint8Array>);
    expect(counted).toBe(400_000);
    expect(isReplayable(Readable.from([]))).toBe(false);
  });
});
