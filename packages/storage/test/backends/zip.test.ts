import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend, UfsError } from '@org/core';
import { describeBackendContract, expectUfsError, get, listAll, put } from '@org/storage-testing';
import { copyNode } from '../../src/copy/index.js';
import { StorageManager, unreadableOf } from '../../src/index.js';
import { createHttpBackend } from '../../src/backends/http/index.js';
import memory from '../../src/backends/memory/index.js';
import definition, { type ZipBackend } from '../../src/backends/zip/index.js';
import { bufferSource } from '../fakes/buffer-source.js';
import { startStaticServer } from '../fakes/static-http-server.js';
import { buildZip, dataOffset, patchCentral, renameEntries, type ZipEntrySpec } from '../fakes/zip-builder.js';

const digest = (bytes: Buffer) => `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
const context = { mountName: 'archive', env: {} };
const open = (source: StorageBackend, key: string, extra: Record<string, unknown> = {}) =>
  definition.create(definition.options.parse({ source, key, ...extra }), context) as ZipBackend;

const text = Buffer.from('a stored text entry, long enough for range tests');
const contents: Record<string, { data: Buffer; compress: boolean }> = {
  'readme.txt': { data: text, compress: false },
  'docs/guide.md': { data: Buffer.from('# Guide\n\n'.repeat(200)), compress: true },
  'docs/deep/nested/data.bin': { data: randomBytes(70_000), compress: true },
  'stored/raw.bin': { data: randomBytes(100_000), compress: false },
  'empty.txt': { data: Buffer.alloc(0), compress: true },
  'ünï/文件 €.txt': { data: Buffer.from('unicode name'), compress: true },
};
const fixtures = Object.fromEntries(Object.entries(contents).map(([k, v]) => [k, v.data]));
const specs: ZipEntrySpec[] = Object.entries(contents).map(([name, v]) => ({ name, ...v }));

// Hostile names are written as same-length placeholders (yazl refuses them) and patched in.
const hostile = renameEntries(
  await buildZip([
    ...specs,
    { name: 'QQ/evil.txt', data: Buffer.from('escape!') },
    { name: 'Qtmp/evil.txt', data: Buffer.from('absolute!') },
    { name: 'a/QQ/QQ/QQ/x.txt', data: Buffer.from('deep escape') },
    { name: 'C_/win.txt', data: Buffer.from('drive') },
    { name: 'bad_nul.txt', data: Buffer.from('nul') },
  ]),
  {
    'QQ/evil.txt': '../evil.txt',
    'Qtmp/evil.txt': '/tmp/evil.txt',
    'a/QQ/QQ/QQ/x.txt': 'a/../../../x.txt',
    'C_/win.txt': 'C:/win.txt',
    'bad_nul.txt': 'bad\u0000nul.txt',
  },
);
const source = bufferSource({ 'archives/site.zip': hostile, 'archives/clean.zip': await buildZip(specs) });

// The contract lists the fixtures and nothing else: the hostile archive's listings also report its skipped entries.
describeBackendContract('zip', { backend: open(source, 'archives/clean.zip'), fixtures });

describe('zip backend', () => {
  const zip = open(source, 'archives/site.zip');
  afterAll(() => zip.dispose());

  it('reads stored and deflated entries, whole and by ranges', async () => {
    for (const [key, { data }] of Object.entries(contents)) {
      expect(digest(await get(zip, key))).toBe(digest(data));
      expect(await zip.stat(key)).toMatchObject({ key, isFile: true, isDir: false, size: data.length });
      if (data.length < 20) continue;
      for (const [start, end] of [
        [0, 0],
        [1, 9],
        [data.length - 10, data.length + 50],
        [Math.floor(data.length / 2), undefined],
      ] as const) {
        const expected = data.subarray(start, end === undefined ? undefined : end + 1);
        expect(digest(await get(zip, key, { start, end }))).toBe(digest(expected));
      }
    }
    expect(await get(zip, 'readme.txt', { start: 1000 })).toEqual(Buffer.alloc(0));
  });

  it('synthesises folders and lists one level, recursively, and by pages', async () => {
    expect(await zip.stat('docs')).toMatchObject({ isDir: true, isFile: false, size: 0 });
    expect(await zip.stat('docs/deep/nested')).toMatchObject({ isDir: true });
    expect((await listAll(zip, 'docs')).map((e) => [e.key, e.isDir])).toEqual([
      ['docs/deep', true],
      ['docs/guide.md', false],
    ]);
    const everything = await listAll(zip, '', { recursive: true });
    expect(
      everything
        .filter((e) => e.isFile)
        .map((e) => e.key)
        .sort(),
    ).toEqual(Object.keys(contents).sort());
    const first = await zip.list('', { recursive: true, pageSize: 3 });
    expect(first.entries).toHaveLength(3);
    expect(first.cursor).toBeDefined();
    expect((await listAll(zip, '', { recursive: true, pageSize: 3 })).map((e) => e.key)).toEqual(
      everything.map((e) => e.key),
    );
    expect((await zip.list('nothing/here')).entries).toEqual([]);
    await expectUfsError(zip.list('readme.txt'), 'INVALID_INPUT'); // a file is not a folder
    await expectUfsError(zip.list('', { cursor: 'garbage' }), 'INVALID_INPUT');
  });

  it('never exposes zip-slip names, and reports them as skipped', async () => {
    const skipped = await zip.skippedEntries();
    expect(skipped.map((s) => s.name).sort()).toEqual(
      ['../evil.txt', '/tmp/evil.txt', 'a/../../../x.txt', 'C:/win.txt', 'bad\u0000nul.txt'].sort(),
    );
    for (const key of ['evil.txt', 'tmp/evil.txt', 'x.txt', 'win.txt', 'C:', 'a', 'tmp']) {
      expect(await zip.stat(key)).toBeNull();
    }
    // Listings report them as unreadable entries (never files or folders), with the reason.
    const all = await listAll(zip, '', { recursive: true });
    expect(all.filter((e) => /evil|win|x\.txt|nul/.test(e.key)).every((e) => unreadableOf(e) && !e.isFile)).toBe(true);
    expect(all.filter((e) => unreadableOf(e)).map((e) => e.key)).toHaveLength(5);
  });

  it('reports every entry a listing leaves out to nodes, and a tree copy counts them as errors', async () => {
    const archive = renameEntries(
      await buildZip([
        { name: 'QQ/evil.txt', data: Buffer.from('escape') },
        { name: 'Qabs.txt', data: Buffer.from('absolute') },
        { name: 'ok/QQ/QQ/x.txt', data: Buffer.from('deep') },
        { name: 'good.txt', data: Buffer.from('good') },
        { name: 'dup.txt', data: Buffer.from('first') },
        { name: 'dup.txt', data: Buffer.from('second') },
        { name: 'win\\path.txt', data: Buffer.from('win') },
        { name: 'a/b.txt', data: Buffer.from('b') },
        { name: 'a', data: Buffer.from('a file') },
      ]),
      { 'QQ/evil.txt': '../evil.txt', 'Qabs.txt': '/abs.txt', 'ok/QQ/QQ/x.txt': 'ok/../../x.txt' },
    );
    const dir = mkdtempSync(join(tmpdir(), 'ufs-zip-left-out-'));
    const storage = new StorageManager();
    try {
      writeFileSync(join(dir, 'evil.zip'), archive);
      await storage.configure([
        { name: 'loc', protocol: 'local', root: dir },
        { name: 'zevil', protocol: 'zip', archive: 'loc:evil.zip' },
      ]);
      const reported: UfsError[] = [];
      const listed: string[] = [];
      const report = (e: UfsError) => reported.push(e);
      for await (const node of storage
        .node('zevil:')
        .list({ recursive: true, onUnreadable: report, onInvalidName: report }))
        listed.push(node.path);
      expect(listed).toEqual(['a', 'a/b.txt', 'dup.txt', 'good.txt', 'win', 'win/path.txt']);
      const messages = reported.map((e) => e.message);
      expect(messages).toHaveLength(5);
      for (const name of ['../evil.txt', '/abs.txt', 'ok/../../x.txt', 'dup.txt', 'a'])
        expect(messages.some((m) => m.includes(`left out of the listing`) && m.includes(name))).toBe(true);
      expect(messages.find((m) => m.includes('"/abs.txt"'))).toMatch(/absolute path/);
      expect(messages.find((m) => m.includes('"dup.txt"'))).toMatch(/a later entry of the same name replaces it/);
      expect(messages.find((m) => m.includes('archive entry "a"'))).toMatch(/a folder of the same name comes first/);
      // A one-level listing of the root reports the same entries (all of them are in the root).
      const level: UfsError[] = [];
      await storage
        .node('zevil:')
        .children({ onUnreadable: (e) => level.push(e), onInvalidName: (e) => level.push(e) });
      expect(level).toHaveLength(5);
      const summary = await copyNode(storage.node('zevil:'), storage.node('loc:evilout'));
      expect(summary.files).toBe(4);
      expect(summary.errors).toHaveLength(5);
      expect(readdirSync(join(dir, 'evilout')).sort()).toEqual(['a', 'dup.txt', 'good.txt', 'win']);
    } finally {
      await storage.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a stored entry by range without downloading the archive', async () => {
    const bigEntry = randomBytes(6 * 1024 * 1024);
    const archive = await buildZip([
      { name: 'small.txt', data: Buffer.from('small') },
      { name: 'huge.bin', data: bigEntry, compress: false },
      ...Array.from({ length: 300 }, (_, i) => ({ name: `many/f${i}.txt`, data: Buffer.from(`file ${i}`) })),
    ]);
    const counted = bufferSource({ 'big.zip': archive });
    const backend = open(counted, 'big.zip');
    expect((await listAll(backend, 'many')).length).toBe(300);
    const slice = await get(backend, 'huge.bin', { start: 4_000_000, end: 4_000_099 });
    expect(slice).toEqual(bigEntry.subarray(4_000_000, 4_000_100));
    expect((await get(backend, 'many/f299.txt')).toString()).toBe('file 299');
    // Central directory + a local header + 100 bytes: a few 64 KiB blocks, never the 6 MiB archive.
    expect(counted.counters.bytes).toBeLessThan(400 * 1024);
    expect(counted.counters.reads).toBeLessThan(12);
    expect(await backend.sourceRequestCount()).toBe(counted.counters.reads);
    await backend.dispose();
  });

  it('checks CRC-32 on whole reads of stored and deflated entries', async () => {
    const data = randomBytes(5000);
    const archive = await buildZip([
      { name: 'stored.bin', data, compress: false },
      { name: 'deflated.txt', data: Buffer.from('z'.repeat(5000)), compress: true },
    ]);
    const damaged = Buffer.from(archive);
    damaged[dataOffset(damaged, 'stored.bin') + 100]! ^= 0xff;
    const backend = open(bufferSource({ 'd.zip': damaged }), 'd.zip');
    const error = await expectUfsError(get(backend, 'stored.bin'), 'INTEGRITY');
    expect(error.message).toMatch(/CRC-32 mismatch/);
    // A range cannot be checked against the entry's CRC: its bytes come back as stored.
    expect((await get(backend, 'stored.bin', { start: 100, end: 100 }))[0]).toBe(data[100]! ^ 0xff);
    expect((await get(backend, 'deflated.txt')).toString()).toBe('z'.repeat(5000));

    const inflated = Buffer.from(archive);
    const at = dataOffset(inflated, 'deflated.txt');
    inflated.fill(0xee, at, at + 4);
    const broken = open(bufferSource({ 'd.zip': inflated }), 'd.zip');
    await expectUfsError(get(broken, 'deflated.txt'), 'INTEGRITY');
  });

  it('refuses encrypted entries and unknown compression methods with UNSUPPORTED', async () => {
    const archive = await buildZip([
      { name: 'secret.bin', data: Buffer.from('x'.repeat(100)) },
      { name: 'bzip.bin', data: Buffer.from('y'.repeat(100)) },
      { name: 'fine.txt', data: Buffer.from('fine') },
    ]);
    const patched = patchCentral(patchCentral(archive, 'secret.bin', { flags: 0x1 }), 'bzip.bin', { method: 12 });
    const backend = open(bufferSource({ 'p.zip': patched }), 'p.zip');
    expect((await expectUfsError(backend.read('secret.bin'), 'UNSUPPORTED')).message).toMatch(/encrypted/);
    expect((await expectUfsError(backend.read('bzip.bin'), 'UNSUPPORTED')).message).toMatch(/compression method 12/);
    expect((await get(backend, 'fine.txt')).toString()).toBe('fine');
  });

  it('keeps explicit empty folders and their times', async () => {
    const mtime = new Date('2023-01-02T03:04:06Z');
    const archive = await buildZip([
      { name: 'empty-dir', dir: true, mtime },
      { name: 'a/b.txt', data: Buffer.from('b') },
    ]);
    const backend = open(bufferSource({ 'e.zip': archive }), 'e.zip');
    expect(await backend.stat('empty-dir')).toMatchObject({ isDir: true, mtime });
    expect((await listAll(backend, '')).map((e) => e.key)).toEqual(['a', 'empty-dir']);
    expect(await listAll(backend, 'empty-dir')).toEqual([]);
    await expectUfsError(backend.read('empty-dir'), 'INVALID_INPUT');
  });

  it('copies the archive to a temp file when the source has no range reads, and removes it on dispose', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'zip-test-'));
    try {
      const plain = bufferSource({ 'site.zip': hostile }, { range: false });
      const backend = open(plain, 'site.zip', { tempDir });
      expect(await get(backend, 'stored/raw.bin', { start: 10, end: 20 })).toEqual(
        contents['stored/raw.bin']!.data.subarray(10, 21),
      );
      expect(digest(await get(backend, 'docs/deep/nested/data.bin'))).toBe(
        digest(contents['docs/deep/nested/data.bin']!.data),
      );
      expect(plain.counters.reads).toBe(1);
      expect(readdirSync(tempDir)).toHaveLength(1);
      await backend.dispose();
      expect(readdirSync(tempDir)).toHaveLength(0);
    } finally {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  it('reads an archive stored on a memory mount (what the manager wires for archive: "mem:bundles/site.zip")', async () => {
    const mem = await memory.create(memory.options.parse({}), { mountName: 'mem', env: {} });
    await put(mem, 'bundles/site.zip', hostile);
    const options = definition.options.parse({ archive: 'mem:bundles/site.zip', source: mem, key: 'bundles/site.zip' });
    const backend = (await definition.create(options, context)) as ZipBackend;
    const listed = (await listAll(backend, '')).filter((e) => !unreadableOf(e));
    expect(listed.map((e) => e.key)).toEqual(['docs', 'empty.txt', 'readme.txt', 'stored', 'ünï']);
    expect(await get(backend, 'stored/raw.bin', { start: 99_990 })).toEqual(
      contents['stored/raw.bin']!.data.subarray(99_990),
    );
    await backend.dispose();
    expect((await mem.stat('bundles/site.zip'))?.size).toBe(hostile.length);
  });

  it('notices an overwritten archive: lists, stats and reads (ranges included) the new one', async () => {
    const mem = await memory.create(memory.options.parse({}), { mountName: 'mem', env: {} });
    const before = randomBytes(3000);
    const after = randomBytes(3000);
    await put(
      mem,
      'a.zip',
      await buildZip([
        { name: 'old.txt', data: Buffer.from('old') },
        { name: 'data.bin', data: before, compress: false },
      ]),
    );
    const backend = open(mem, 'a.zip');
    expect((await listAll(backend, '')).map((e) => e.key)).toEqual(['data.bin', 'old.txt']);
    expect(await get(backend, 'data.bin', { start: 10, end: 19 })).toEqual(before.subarray(10, 20));
    // Same name and size, but at another offset (a longer entry comes first): the old index would read garbage.
    await put(
      mem,
      'a.zip',
      await buildZip([
        { name: 'a-much-longer-first-entry.txt', data: randomBytes(5000), compress: false },
        { name: 'data.bin', data: after, compress: false },
      ]),
    );
    expect((await listAll(backend, '')).map((e) => e.key)).toEqual(['a-much-longer-first-entry.txt', 'data.bin']);
    expect(await backend.stat('old.txt')).toBeNull();
    expect(await get(backend, 'data.bin', { start: 10, end: 19 })).toEqual(after.subarray(10, 20));
    expect(await get(backend, 'data.bin')).toEqual(after);
    await mem.delete('a.zip');
    await expectUfsError(backend.list(''), 'NOT_FOUND');
    await backend.dispose();
  });

  it('reads the archive once while it stays the same (one stat per call, no new index)', async () => {
    const counted = bufferSource({ 'same.zip': hostile });
    const backend = open(counted, 'same.zip');
    await listAll(backend, '');
    const reads = counted.counters.reads;
    expect(await backend.stat('readme.txt')).toMatchObject({ isFile: true });
    await listAll(backend, 'docs');
    expect(counted.counters.reads).toBe(reads);
    await backend.dispose();
  });

  it('reads an archive served over HTTP through the http backend, by ranges', async () => {
    const server = await startStaticServer({ 'pub/site.zip': hostile });
    try {
      const http = createHttpBackend({ baseUrl: server.url, headers: {}, timeoutMs: 5_000, ignoredRange: 'skip' });
      const backend = open(http, 'pub/site.zip');
      expect((await get(backend, 'docs/guide.md')).toString()).toBe(contents['docs/guide.md']!.data.toString());
      expect(await get(backend, 'readme.txt', { start: 2, end: 7 })).toEqual(text.subarray(2, 8));
      const gets = server.requests.filter((r) => r.method === 'GET');
      expect(gets.every((r) => typeof r.headers.range === 'string')).toBe(true);
      await backend.dispose();
    } finally {
      await server.close();
    }
  });

  it('fails clearly on a missing archive, a non-zip, writes and missing entries', async () => {
    const missing = open(bufferSource({}), 'nope.zip');
    const error = await expectUfsError(missing.stat('x'), 'NOT_FOUND');
    expect(error.message).toBe('[ufs] [zip] stat "archive:x": the archive "nope.zip" is not on the source mount');
    await expectUfsError(open(bufferSource({ 'x.zip': randomBytes(1000) }), 'x.zip').list(''), 'INTEGRITY');
    await expectUfsError(zip.read('docs/missing.md'), 'NOT_FOUND');
    expect(await zip.stat('docs/missing.md')).toBeNull();
    await expectUfsError(zip.mkdir('new'), 'UNSUPPORTED');
    await expectUfsError(zip.delete('readme.txt'), 'UNSUPPORTED');
    const aborted = new AbortController();
    aborted.abort();
    await expectUfsError(zip.read('readme.txt', { signal: aborted.signal }), 'ABORTED');
  });

  it('validates options and explains what the manager must resolve', () => {
    const fromConfig = definition.options.safeParse({ archive: 'files:bundles/site.zip' });
    expect(fromConfig.success).toBe(false);
    expect(fromConfig.error?.issues[0]?.message).toMatch(/must be resolved by the storage manager.*mount "files"/);
    expect(definition.options.safeParse({}).error?.issues[0]?.message).toMatch(/archive: "mount:path/);
    expect(definition.options.safeParse({ source: {}, key: 'a.zip' }).error?.issues[0]?.message).toMatch(
      /StorageBackend/,
    );
    expect(definition.options.safeParse({ source, key: '../a.zip' }).success).toBe(false);
    expect(definition.options.safeParse({ source, key: 'a.zip', archive: 'm:a.zip' }).success).toBe(true);
    expect(definition.options.safeParse({ source, key: 'a.zip', extra: 1 }).success).toBe(false);
    expect(definition.fromUrl?.(new URL('zip://files/bundles/my%20site.zip'))).toEqual({
      archive: 'files:bundles/my site.zip',
    });
  });
});
