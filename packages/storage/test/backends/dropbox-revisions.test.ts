// Dropbox file revisions as versions, against the local Dropbox API fake (@org/test-services, src/fakes/dropbox-server.ts): listed by
// files/list_revisions, read and stat'ed through `rev:<rev>` paths, never deleted one by one (UNSUPPORTED).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { expectUfsError, get, put } from '@org/storage-testing';
import definition from '../../src/backends/dropbox/index.js';
import type { FetchFunction } from '../../src/backends/http/fetch-stream.js';
import { StorageManager } from '../../src/index.js';
import { startDropboxFake } from '@org/test-services';

const fake = await startDropboxFake();
afterAll(() => fake.close());
fake.tokens.add('good-token');

/** Bodies of the list_revisions calls made. */
const listCalls: Record<string, unknown>[] = [];
const recording: FetchFunction = (input, init) => {
  const url = typeof input === 'string' ? input : input.href;
  if (url.endsWith('/files/list_revisions')) listCalls.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
  return globalThis.fetch(input, init);
};

const create = async (root: string) =>
  (await definition.create(
    definition.options.parse({ accessToken: 'good-token', apiBaseUrl: fake.url, root, fetch: recording }),
    { mountName: 'box', env: {} },
  )) as StorageBackend;

/** Whole seconds: Dropbox timestamps have no milliseconds. */
const T0 = Date.UTC(2024, 0, 15, 9, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
/** Writes `text` at `key` with the fake's clock at `minutes`; returns the new rev. */
async function writeAt(backend: StorageBackend, key: string, text: string, minutes: number): Promise<string> {
  fake.store.now = () => at(minutes);
  const { versionId } = await backend.write(key, Readable.from([Buffer.from(text)]));
  expect(versionId).toMatch(/^[0-9a-f]{9,}$/);
  return versionId!;
}

let root: string;
let box: StorageBackend;
beforeEach(async () => {
  root = `Apps/v${randomBytes(3).toString('hex')}`;
  box = await create(root);
  fake.calls.length = 0;
  listCalls.length = 0;
});
afterEach(() => {
  fake.store.now = () => new Date();
});

describe('dropbox revisions (backend)', () => {
  it('declares versioning and lists revisions newest first, the latest first, with stat()’s etag', async () => {
    expect(box.capabilities.versioning).toBe(true);
    const one = await writeAt(box, 'doc.txt', 'one', 0);
    const two = await writeAt(box, 'doc.txt', 'two!', 1);
    const three = await writeAt(box, 'doc.txt', 'three', 2);
    const versions = await box.versions!('doc.txt');
    expect(versions).toEqual([
      { versionId: three, isLatest: true, isDeleteMarker: false, size: 5, mtime: at(2), etag: expect.any(String) },
      { versionId: two, isLatest: false, isDeleteMarker: false, size: 4, mtime: at(1), etag: expect.any(String) },
      { versionId: one, isLatest: false, isDeleteMarker: false, size: 3, mtime: at(0), etag: expect.any(String) },
    ]);
    const stat = await box.stat('doc.txt');
    expect(stat).toMatchObject({ versionId: three, etag: versions[0]!.etag });
    expect(listCalls).toEqual([{ path: `/${root}/doc.txt`, mode: { '.tag': 'path' }, limit: 100 }]);
    // Nothing ever there, or a folder: no versions, as on S3 and memory.
    expect(await box.versions!('never.txt')).toEqual([]);
    await box.mkdir('folder');
    expect(await box.versions!('folder')).toEqual([]);
    await expectUfsError(box.versions!(''), 'INVALID_INPUT');
  });

  it('follows has_more with before_rev past 100 revisions', async () => {
    const revs: string[] = [];
    for (let i = 0; i < 103; i++) revs.push(await writeAt(box, 'busy.txt', `v${i}`, i));
    const versions = await box.versions!('busy.txt');
    expect(versions.map((v) => v.versionId)).toEqual([...revs].reverse());
    expect(versions.filter((v) => v.isLatest).map((v) => v.versionId)).toEqual([revs[102]]);
    expect(listCalls.map((c) => c.before_rev)).toEqual([undefined, revs[3]]);
  });

  it('reads and stats an old revision, whole or ranged, while the file stays at its latest', async () => {
    const first = await writeAt(box, 'r.txt', 'first version', 0);
    await writeAt(box, 'r.txt', 'second', 1);
    expect((await get(box, 'r.txt')).toString()).toBe('second');
    fake.calls.length = 0;
    expect(await box.read('r.txt', { versionId: first }).then(readText)).toBe('first version');
    // The revision's metadata is checked (it must be of this file) before it is downloaded.
    expect(fake.calls).toEqual(['files/get_metadata', 'files/download']);
    expect(await box.read('r.txt', { versionId: first, start: 6, end: 12 }).then(readText)).toBe('version');
    expect(await box.stat('r.txt', { versionId: first })).toEqual({
      key: 'r.txt',
      isFile: true,
      isDir: false,
      size: 13,
      mtime: at(0),
      etag: expect.stringMatching(/^"[0-9a-f]{64}"$/),
      versionId: first,
    });
  });

  it('refuses a malformed revision with INVALID_INPUT before asking Dropbox', async () => {
    await put(box, 'bad.txt', 'x');
    fake.calls.length = 0;
    for (const versionId of ['xyz', '12345678', 'A1C10CE0DD78', 'rev:a1c10ce0dd78', '../a1c10ce0dd78', '']) {
      const error = await expectUfsError(box.read('bad.txt', { versionId }), 'INVALID_INPUT');
      expect(error.message).toMatch(/^\[ufs\] \[dropbox\] read "box:bad\.txt": .* is not a Dropbox revision/);
      await expectUfsError(box.stat('bad.txt', { versionId }), 'INVALID_INPUT');
    }
    expect(fake.calls).toEqual([]);
  });

  it("never reads another file's revision, nor an unknown one, through this key (NOT_FOUND)", async () => {
    const mine = await writeAt(box, 'mine.txt', 'mine', 0);
    const other = await writeAt(box, 'other.txt', 'secret', 1);
    const elsewhere = await create(`${root}-elsewhere`);
    const sameName = (await elsewhere.write('mine.txt', Readable.from([Buffer.from('not yours')]))).versionId!;
    for (const rev of [other, sameName, 'a1c10ce0dd78']) {
      await expectUfsError(box.read('mine.txt', { versionId: rev }), 'NOT_FOUND');
      expect(await box.stat('mine.txt', { versionId: rev })).toBeNull();
    }
    expect(fake.calls).not.toContain('files/download');
    // The key's own revision reads, whatever the case of the key (Dropbox paths are case-insensitive).
    expect(await box.read('MINE.txt', { versionId: mine }).then(readText)).toBe('mine');
  });

  it('cannot delete a revision (UNSUPPORTED), and keeps every one', async () => {
    const one = await writeAt(box, 'keep.txt', 'one', 0);
    await writeAt(box, 'keep.txt', 'two', 1);
    const error = await expectUfsError(box.delete('keep.txt', { versionId: one }), 'UNSUPPORTED');
    expect(error.message).toMatch(/cannot delete one revision/);
    expect((await box.versions!('keep.txt')).map((v) => v.versionId)).toContain(one);
    expect((await get(box, 'keep.txt')).toString()).toBe('two');
  });

  it('reports a deleted file with a delete marker first; its revisions stay readable', async () => {
    const one = await writeAt(box, 'gone.txt', 'one', 0);
    await writeAt(box, 'gone.txt', 'two', 1);
    fake.store.now = () => at(5);
    await box.delete('gone.txt');
    const versions = await box.versions!('gone.txt');
    expect(versions[0]).toEqual({
      versionId: `deleted:${at(5).toISOString().replace('.000', '')}`,
      isLatest: true,
      isDeleteMarker: true,
      size: 0,
      mtime: at(5),
    });
    expect(versions.slice(1).map((v) => [v.isLatest, v.isDeleteMarker])).toEqual([
      [false, false],
      [false, false],
    ]);
    expect(await box.read('gone.txt', { versionId: one }).then(readText)).toBe('one');
    await expectUfsError(box.read('gone.txt', { versionId: versions[0]!.versionId }), 'NOT_FOUND');
    expect(await box.stat('gone.txt', { versionId: versions[0]!.versionId })).toBeNull();
    // Written again: no marker, the new revision is the latest.
    const three = await writeAt(box, 'gone.txt', 'three', 6);
    expect((await box.versions!('gone.txt')).map((v) => [v.versionId, v.isLatest, v.isDeleteMarker])).toEqual([
      [three, true, false],
      [expect.any(String), false, false],
      [one, false, false],
    ]);
  });
});

describe('dropbox revisions (nodes through the storage manager)', () => {
  let storage: StorageManager;
  beforeEach(async () => {
    storage = new StorageManager();
    await storage.configure([
      { name: 'box', protocol: 'dropbox', accessToken: 'good-token', apiBaseUrl: fake.url, root },
    ]);
  });
  afterEach(() => storage.dispose());

  it('atVersion() reads and stats a revision; asOf() finds the one current at a date', async () => {
    const doc = storage.node('box:notes/doc.txt');
    fake.store.now = () => at(0);
    const draft = await doc.writeText('draft');
    fake.store.now = () => at(10);
    await doc.writeText('final');
    expect((await doc.versions()).map((v) => v.versionId)[1]).toBe(draft.versionId);
    expect(await doc.atVersion(draft.versionId!).readText()).toBe('draft');
    expect((await doc.atVersion(draft.versionId!).stat()).versionId).toBe(draft.versionId);
    expect(await (await doc.asOf(at(5))).readText()).toBe('draft');
    expect(await (await doc.asOf(at(10))).readText()).toBe('final');
    const before = await expectUfsError(doc.asOf(at(-1)), 'NOT_FOUND');
    expect(before.message).toMatch(/no version existed/);
    await expectUfsError(doc.atVersion('nope').readText(), 'INVALID_INPUT');
    await expectUfsError(doc.atVersion('0123456789abcdef').readText(), 'NOT_FOUND');
    await expectUfsError(doc.atVersion(draft.versionId!).writeText('x'), 'INVALID_INPUT');
  });

  it('deleteVersion and compactVersions fail with UNSUPPORTED and remove nothing', async () => {
    const doc = storage.node('box:compact.txt');
    fake.store.now = () => at(0);
    const one = await doc.writeText('one');
    fake.store.now = () => at(1);
    await doc.writeText('two');
    // The mount cannot delete versions (versionDelete is not declared): refused up front, whatever is to keep.
    expect(doc.capabilities).toMatchObject({ versioning: true, versionDelete: false });
    await expectUfsError(doc.compactVersions({ keep: 2 }), 'UNSUPPORTED');
    await expectUfsError(doc.compactVersions({ keep: 1 }), 'UNSUPPORTED');
    await expectUfsError(doc.deleteVersion(one.versionId!), 'UNSUPPORTED');
    await expectUfsError(doc.atVersion(one.versionId!).delete(), 'UNSUPPORTED');
    expect((await doc.versions()).map((v) => v.versionId)).toContain(one.versionId);
    expect(await doc.readText()).toBe('two');
  });

  it('asOf() after a delete is NOT_FOUND; before it, the revision of the time', async () => {
    const doc = storage.node('box:deleted.txt');
    fake.store.now = () => at(0);
    await doc.writeText('was here');
    fake.store.now = () => at(3);
    await doc.delete();
    expect((await doc.versions())[0]).toMatchObject({ isLatest: true, isDeleteMarker: true, mtime: at(3) });
    await expectUfsError(doc.asOf(at(4)), 'NOT_FOUND');
    expect(await (await doc.asOf(at(2))).readText()).toBe('was here');
  });
});

async function readText(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}
