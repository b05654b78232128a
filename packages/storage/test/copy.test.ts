// Copy engine on real temp dirs and memory: file → file, tree → tree, skip strategies, globs, filter, callbacks.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ProgressEvent } from '@org/core';
import { copyNode, type CopyFileEvent, type CopySkipEvent, type SkipStrategy } from '../src/copy/index.js';
import { LocalBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { counting } from './copy-helpers.js';
import { slow } from './fault.js';
import { rejectsWith, tempDir, tree } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-copy-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'memory', protocol: 'memory' },
    { name: 'other', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const TREE: Record<string, string> = {
  'a.txt': 'alpha',
  'b.md': 'bravo!',
  'docs/guide.txt': 'the guide',
  'docs/deep/notes.txt': 'deep notes',
  'docs/deep/skip.tmp': 'temporary',
  '.hidden/secret.txt': 'shh',
};

async function seed(root: StorageNode, files: Record<string, string> = TREE): Promise<void> {
  for (const [path, text] of Object.entries(files)) await root.child(path).writeText(text);
}

async function contents(root: StorageNode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const offset = root.path === '' ? 0 : root.path.length + 1;
  for await (const node of root.list({ recursive: true })) {
    if (node.listed?.isFile) out[node.path.slice(offset)] = await node.readText();
  }
  return out;
}

const PAIRS = [
  ['local', 'local'],
  ['memory', 'memory'],
  ['memory', 'local'],
  ['local', 'memory'],
] as const;

describe.each(PAIRS)('copy %s → %s', (from, to) => {
  const src = (path: string) => storage.node(`${from}:${path}`);
  const dst = (path: string) => storage.node(`${to}:${path}`);

  it('file → file: content, content type, summary and onFile', async () => {
    await src('in/report.csv').writeText('a,b\n1,2\n');
    const files: CopyFileEvent[] = [];
    const summary = await copyNode(src('in/report.csv'), dst('out/2024/copy.csv'), { onFile: (e) => files.push(e) });
    expect(summary).toEqual({ files: 1, bytes: 8, skipped: 0, errors: [] });
    expect(await dst('out/2024/copy.csv').readText()).toBe('a,b\n1,2\n');
    expect(await src('in/report.csv').readText()).toBe('a,b\n1,2\n');
    expect(files).toHaveLength(1);
    expect(files[0]!.src.fullpath).toBe(`${from}:in/report.csv`);
    expect(files[0]!.dest.fullpath).toBe(`${to}:out/2024/copy.csv`);
    expect(files[0]!.bytes).toBe(8);
    expect(files[0]!.method).toBe(from === to ? 'copy' : 'stream');
    if (to === 'memory') expect((await dst('out/2024/copy.csv').stat()).contentType).toBe('text/csv');
  });

  it('tree → tree: the folder’s files land below the destination with their relative paths', async () => {
    await seed(src('project'));
    await dst('backup/old.txt').writeText('stays');
    const summary = await copyNode(src('project'), dst('backup'));
    expect(summary.files).toBe(Object.keys(TREE).length);
    expect(summary.bytes).toBe(Object.values(TREE).reduce((n, t) => n + t.length, 0));
    expect(summary.errors).toEqual([]);
    expect(await contents(dst('backup'))).toEqual({ ...TREE, 'old.txt': 'stays' });
  });

  it('a whole mount copies from its root (into a folder of itself: refused)', async () => {
    await seed(src(''), { 'x/1.txt': 'one', '2.txt': 'two' });
    if (from === to) {
      await rejectsWith(copyNode(src(''), dst('all')), 'INVALID_INPUT');
      return;
    }
    await copyNode(src(''), dst('all'));
    expect(await contents(dst('all'))).toEqual({ 'x/1.txt': 'one', '2.txt': 'two' });
  });

  it('overwrites by default; overwrite: false reports ALREADY_EXISTS and keeps the file', async () => {
    await seed(src('s'), { 'a.txt': 'new a', 'b.txt': 'new b' });
    await dst('d/a.txt').writeText('old a');
    expect((await copyNode(src('s'), dst('d'))).files).toBe(2);
    expect(await dst('d/a.txt').readText()).toBe('new a');

    await dst('d/a.txt').writeText('old a');
    await dst('d/b.txt').delete();
    const summary = await copyNode(src('s'), dst('d'), { overwrite: false });
    expect(summary.files).toBe(1);
    expect(summary.errors).toHaveLength(1);
    expect(summary.errors[0]!.path).toBe(`${from}:s/a.txt`);
    expect(summary.errors[0]!.dest).toBe(`${to}:d/a.txt`);
    expect(summary.errors[0]!.error.code).toBe('ALREADY_EXISTS');
    expect(await dst('d/a.txt').readText()).toBe('old a');
    expect(await dst('d/b.txt').readText()).toBe('new b');
  });
});

describe('skip strategies', () => {
  // Destination before the copy: same.txt equal, resized.txt of another size, changed.txt same size other bytes.
  async function prepare(from: string, to: string) {
    const src = storage.node(`${from}:src`);
    const dest = storage.node(`${to}:dest`);
    await src.delete({ recursive: true });
    await dest.delete({ recursive: true });
    await seed(src, { 'same.txt': 'identical', 'resized.txt': 'longer now', 'changed.txt': 'AAAA', 'new.txt': 'n' });
    await seed(dest, { 'same.txt': 'identical', 'resized.txt': 'short', 'changed.txt': 'BBBB' });
    const skipped: CopySkipEvent[] = [];
    const copied: string[] = [];
    const run = (skip: SkipStrategy) =>
      copyNode(src, dest, {
        skip,
        onSkip: (e) => skipped.push(e),
        onFile: (e) => copied.push(e.dest.basename),
      });
    return { src, dest, skipped, copied, run };
  }

  it.each(PAIRS)('never / exists / size / hash / function (%s → %s)', async (from, to) => {
    let t = await prepare(from, to);
    expect((await t.run('never')).files).toBe(4);

    t = await prepare(from, to);
    let summary = await t.run('exists');
    expect(summary).toMatchObject({ files: 1, skipped: 3 });
    expect(t.copied).toEqual(['new.txt']);
    expect(t.skipped.map((s) => [s.dest.basename, s.reason]).sort()).toEqual([
      ['changed.txt', 'exists'],
      ['resized.txt', 'exists'],
      ['same.txt', 'exists'],
    ]);

    t = await prepare(from, to);
    summary = await t.run('size');
    expect(t.copied.sort()).toEqual(['new.txt', 'resized.txt']);
    expect(t.skipped.map((s) => s.reason)).toEqual(['size', 'size']);
    expect(await t.dest.child('changed.txt').readText()).toBe('BBBB'); // same size: left alone by `size`

    t = await prepare(from, to);
    summary = await t.run('hash');
    expect(t.copied.sort()).toEqual(['changed.txt', 'new.txt', 'resized.txt']);
    expect(t.skipped.map((s) => [s.dest.basename, s.reason])).toEqual([['same.txt', 'hash']]);
    expect(await t.dest.child('changed.txt').readText()).toBe('AAAA');

    t = await prepare(from, to);
    summary = await t.run(async (s, d) => s.basename.startsWith('n') && (await d.exists()) === false);
    expect(summary).toMatchObject({ files: 3, skipped: 1 });
    expect(t.skipped.map((s) => [s.dest.basename, s.reason])).toEqual([['new.txt', 'custom']]);
  });

  it('hash compares stored checksums without reading when both sides store the same kind (memory: MD5)', async () => {
    const src = counting(new MemoryBackend({ mountName: 'cs' }));
    const dest = counting(new MemoryBackend({ mountName: 'cd' }));
    await storage.mountBackend('cs', src.backend);
    await storage.mountBackend('cd', dest.backend);
    await seed(storage.node('cs:'), { 'a.bin': 'x'.repeat(5000), 'b.bin': 'y'.repeat(5000) });
    await seed(storage.node('cd:'), { 'a.bin': 'x'.repeat(5000), 'b.bin': 'z'.repeat(5000) });
    const reads = { src: src.calls.read ?? 0, dest: dest.calls.read ?? 0 };
    const summary = await copyNode(storage.node('cs:'), storage.node('cd:'), { skip: 'hash' });
    expect(summary).toMatchObject({ files: 1, skipped: 1 });
    expect((src.calls.read ?? 0) - reads.src).toBe(1); // b.bin only, to copy it
    expect((dest.calls.read ?? 0) - reads.dest).toBe(0);
  });

  it('hash streams the other side when only one stores a checksum (memory MD5 vs local none)', async () => {
    const local = counting(new LocalBackend({ root: join(dir.path, 'counted'), mountName: 'cl' }));
    await storage.mountBackend('cl', local.backend);
    await seed(storage.node('memory:h'), { 'a.txt': 'same content', 'b.txt': 'other conten' });
    await seed(storage.node('cl:h'), { 'a.txt': 'same content', 'b.txt': 'other CONTEN' });
    const before = local.calls.read ?? 0;
    const summary = await copyNode(storage.node('memory:h'), storage.node('cl:h'), { skip: 'hash' });
    expect(summary).toMatchObject({ files: 1, skipped: 1 });
    expect((local.calls.read ?? 0) - before).toBe(2); // MD5 of each local file, streamed
    expect(await storage.node('cl:h/b.txt').readText()).toBe('other conten');
  });
});

describe('include, exclude and filter', () => {
  beforeEach(() => seed(storage.node('memory:src')));

  async function copiedWith(options: Parameters<typeof copyNode>[2]): Promise<string[]> {
    await storage.node('local:dest').delete({ recursive: true });
    await copyNode(storage.node('memory:src'), storage.node('local:dest'), options);
    return tree(join(dir.path, 'local', 'dest')).catch(() => []);
  }

  it('globs match the path relative to the source: `*` stays in one folder, `**` crosses them', async () => {
    // A pattern without `/` matches at any level, as in gitignore and rclone (copy-filter-rules.test.ts); a leading
    // `/` anchors it to the source folder.
    expect(await copiedWith({ include: '/*.txt' })).toEqual(['a.txt']);
    expect(await copiedWith({ include: '*.txt' })).toEqual(await copiedWith({ include: '**/*.txt' }));
    expect(await copiedWith({ include: 'docs/*.txt' })).toEqual(['docs', 'docs/guide.txt']);
    expect(await copiedWith({ include: '**/*.txt' })).toEqual([
      '.hidden',
      '.hidden/secret.txt',
      'a.txt',
      'docs',
      'docs/deep',
      'docs/deep/notes.txt',
      'docs/guide.txt',
    ]);
    expect(await copiedWith({ include: ['docs/**'], exclude: ['**/*.tmp', 'docs/guide.txt'] })).toEqual([
      'docs',
      'docs/deep',
      'docs/deep/notes.txt',
    ]);
    expect(await copiedWith({ exclude: ['.hidden/**', 'docs/**'] })).toEqual(['a.txt', 'b.md']);
  });

  it('filter(node) decides per file, after the globs; it may be async', async () => {
    const seen: string[] = [];
    const copied = await copiedWith({
      exclude: '**/*.tmp',
      filter: async (node) => {
        seen.push(node.fullpath);
        return (await (node as StorageNode).size()) > 5;
      },
    });
    expect(copied).toEqual(['b.md', 'docs', 'docs/deep', 'docs/deep/notes.txt', 'docs/guide.txt']);
    expect(seen).not.toContain('memory:src/docs/deep/skip.tmp');
    expect(seen).toHaveLength(5);
  });

  it('a single file is matched by its name', async () => {
    const summary = await copyNode(storage.node('memory:src/a.txt'), storage.node('memory:x.txt'), {
      exclude: '*.txt',
    });
    expect(summary).toEqual({ files: 0, bytes: 0, skipped: 0, errors: [] });
    expect(await storage.node('memory:x.txt').exists()).toBe(false);
  });
});

describe('progress and concurrency', () => {
  it('onProgress counts bytes over the run; total arrives once the listing is done and ends equal', async () => {
    const big = Buffer.alloc(300_000, 7);
    await mkdir(join(dir.path, 'local', 'p'), { recursive: true });
    for (const name of ['1.bin', '2.bin', '3.bin']) await writeFile(join(dir.path, 'local', 'p', name), big);
    await storage.node('memory:q/1.bin').writeBytes(big); // skipped by size
    const events: ProgressEvent[] = [];
    const summary = await copyNode(storage.node('local:p'), storage.node('memory:q'), {
      skip: 'size',
      onProgress: (e) => events.push(e),
    });
    expect(summary).toMatchObject({ files: 2, skipped: 1, bytes: 600_000 });
    expect(events.length).toBeGreaterThan(4); // per chunk, not per file
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ loaded: 600_000, total: 600_000, phase: 'copy' });
    expect(last.item).toMatch(/^local:p\/[23]\.bin$/);
  });

  it('at most `concurrency` files at once (default 4)', async () => {
    const { backend, state } = slow(new MemoryBackend({ mountName: 'slow' }), 30, ['write']);
    await storage.mountBackend('slow', backend);
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, `file ${i}`]));
    await seed(storage.node('memory:c'), files);
    await copyNode(storage.node('memory:c'), storage.node('slow:c'));
    expect(state.maxInFlight).toBe(4);
    state.maxInFlight = 0;
    await copyNode(storage.node('memory:c'), storage.node('slow:d'), { concurrency: 2 });
    expect(state.maxInFlight).toBe(2);
    expect(Object.keys(await contents(storage.node('slow:d'))).length).toBe(12);
  });

  it('a file copied from local keeps its bytes exactly', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    await mkdir(join(dir.path, 'local', 'bin'), { recursive: true });
    await writeFile(join(dir.path, 'local', 'bin', 'data.bin'), bytes);
    await copyNode(storage.node('local:bin/data.bin'), storage.node('other:data.bin'));
    await copyNode(storage.node('other:data.bin'), storage.node('local:back/data.bin'));
    expect((await readFile(join(dir.path, 'local', 'back', 'data.bin'))).equals(bytes)).toBe(true);
  });
});
