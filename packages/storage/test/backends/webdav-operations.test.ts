// WebDAV listings of temporary uploads (`includeTemporary`), and what reads and mkdir say when a folder or a file is
// in the way, against a real WebDAV server (npm webdav-server v2 on a temp folder).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { expectUfsError, listAll } from '@org/storage-testing';
import definition from '../../src/backends/webdav/index.js';
import { startWebdavServer } from '@org/test-services';

const server = await startWebdavServer('basic');
const created: StorageBackend[] = [];
async function create(options: Record<string, unknown> = {}): Promise<StorageBackend> {
  const parsed = definition.options.parse({
    url: server.url,
    username: server.username,
    password: server.password,
    ...options,
  });
  const backend = await definition.create(parsed, { mountName: 'dav', env: {} });
  created.push(backend);
  return backend;
}
afterAll(async () => {
  try {
    for (const backend of created) await backend.dispose?.();
  } finally {
    await server.stop();
  }
}, 30_000);

describe('webdav temporary uploads', () => {
  it('are hidden from listings, and listed marked temporary with includeTemporary (one level and recursive)', async () => {
    mkdirSync(join(server.dir, 'up/sub'), { recursive: true });
    writeFileSync(join(server.dir, 'up/done.bin'), 'done');
    writeFileSync(join(server.dir, 'up/.ufs-upload-0123456789abcdef'), 'half an upload');
    writeFileSync(join(server.dir, 'up/sub/.ufs-upload-fedcba9876543210'), 'another');
    const dav = await create({ depthInfinity: true });
    expect((await listAll(dav, 'up')).map((e) => e.key)).toEqual(['up/done.bin', 'up/sub']);
    expect((await listAll(dav, 'up', { recursive: true })).map((e) => e.key)).toEqual(['up/done.bin', 'up/sub']);
    const level = await listAll(dav, 'up', { includeTemporary: true } as object);
    expect(level.map((e) => [e.key, e.temporary ?? false])).toEqual([
      ['up/.ufs-upload-0123456789abcdef', true],
      ['up/done.bin', false],
      ['up/sub', false],
    ]);
    const all = await listAll(dav, 'up', { recursive: true, includeTemporary: true } as object);
    expect(all.filter((e) => e.temporary).map((e) => [e.key, e.size])).toEqual([
      ['up/.ufs-upload-0123456789abcdef', 14],
      ['up/sub/.ufs-upload-fedcba9876543210', 7],
    ]);
    // Pages of a listing with temporary files never mix with those of one without.
    const first = await dav.list('up', { includeTemporary: true, pageSize: 1 });
    expect(first.entries.map((e) => e.key)).toEqual(['up/.ufs-upload-0123456789abcdef']);
    const plain = await dav.list('up', { pageSize: 1 });
    expect(plain.entries.map((e) => e.key)).toEqual(['up/done.bin']);
    const second = await dav.list('up', { includeTemporary: true, pageSize: 1, cursor: first.cursor });
    expect(second.entries.map((e) => e.key)).toEqual(['up/done.bin']);
    // A cleaner removes what it found.
    await dav.delete('up/.ufs-upload-0123456789abcdef');
    expect(await dav.stat('up/.ufs-upload-0123456789abcdef')).toBeNull();
  });
});

describe('webdav folders and files in the way', () => {
  it('a read of a folder is INVALID_INPUT "is a folder, not a file"', async () => {
    mkdirSync(join(server.dir, 't1/nested'), { recursive: true });
    const dav = await create();
    const error = await expectUfsError(dav.read('t1/nested'), 'INVALID_INPUT');
    expect(error.message).toBe('[ufs] [webdav] read "dav:t1/nested": is a folder, not a file');
    await expectUfsError(dav.read('missing/file.txt'), 'NOT_FOUND');
  });

  it('mkdir below a file is INVALID_INPUT naming the file, with and without parents', async () => {
    mkdirSync(join(server.dir, 'sk'), { recursive: true });
    writeFileSync(join(server.dir, 'sk/a.txt'), 'a file');
    const dav = await create();
    for (const parents of [false, true]) {
      const error = await expectUfsError(dav.mkdir('sk/a.txt/sub', { parents }), 'INVALID_INPUT');
      expect(error.message).toContain('"sk/a.txt" is a file, not a folder');
    }
    const deeper = await expectUfsError(dav.mkdir('sk/a.txt/x/y'), 'INVALID_INPUT');
    expect(deeper.message).toContain('"sk/a.txt" is a file, not a folder');
    await expectUfsError(dav.mkdir('sk/none/sub'), 'NOT_FOUND');
    await dav.mkdir('sk/made');
    expect(await dav.stat('sk/made')).toMatchObject({ isDir: true });
  });
});
