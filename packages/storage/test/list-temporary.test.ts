// `includeTemporary`: the temporary files a backend writes through (and a crashed write leaves behind) are listed,
// marked `temporary`, for a cleaner; every other listing keeps hiding them. A real local folder and the real sshd.
import { mkdir, writeFile } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EntryStat, ListOptions, StorageBackend } from '@org/core';
import { LocalBackend } from '../src/index.js';
import { SftpBackend } from '../src/backends/sftp/index.js';
import { sftpConnectionAt } from './services/sftp.js';
import { tempDir } from './helpers.js';

/** Every entry of a listing, page by page (pages of 2, so that a cursor resumes across temporary files too). */
async function listed(backend: StorageBackend, key: string, options: ListOptions = {}): Promise<EntryStat[]> {
  const entries: EntryStat[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list(key, { ...options, pageSize: 2, ...(cursor === undefined ? {} : { cursor }) });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return entries;
}

const shown = (entries: EntryStat[]) => entries.map((e) => (e.temporary ? `${e.key} (temporary)` : e.key));

describe('local backend: includeTemporary', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let backend: LocalBackend;
  beforeEach(async () => {
    dir = await tempDir();
    const root = join(dir.path, 'root');
    await mkdir(join(root, '_tmp'), { recursive: true });
    await writeFile(join(root, 'a.txt'), 'a');
    // As the writer names them (this version, and the older `.ufs-<16 hex>.tmp`), left by a killed process.
    await writeFile(join(root, '_tmp/.ufs-4c92894a82c8-1.tmp'), 'partial');
    await writeFile(join(root, '_tmp/.ufs-0123456789abcdef.tmp'), 'old-style partial');
    await writeFile(join(root, '_tmp/b'), 'b');
    await writeFile(join(root, '_tmp/.ufs-notes.tmp'), 'a file of the user');
    backend = new LocalBackend({ root, mountName: 'disk' });
  });
  afterEach(() => dir.cleanup());

  it('lists them marked temporary, recursively and page by page; without it they stay hidden', async () => {
    expect(shown(await listed(backend, '', { recursive: true, includeTemporary: true }))).toEqual([
      '_tmp',
      '_tmp/.ufs-0123456789abcdef.tmp (temporary)',
      '_tmp/.ufs-4c92894a82c8-1.tmp (temporary)',
      '_tmp/.ufs-notes.tmp',
      '_tmp/b',
      'a.txt',
    ]);
    expect(shown(await listed(backend, '_tmp', { includeTemporary: true }))).toHaveLength(4);
    expect(shown(await listed(backend, '', { recursive: true }))).toEqual([
      '_tmp',
      '_tmp/.ufs-notes.tmp',
      '_tmp/b',
      'a.txt',
    ]);
  });

  it('a listed temporary file has its modification time, and its key can be stated and deleted', async () => {
    const [temp] = (await listed(backend, '_tmp', { includeTemporary: true })).filter((e) => e.temporary);
    expect(Number.isFinite(temp!.mtime?.getTime())).toBe(true);
    expect((await backend.stat(temp!.key))?.size).toBe(temp!.size);
    await backend.delete(temp!.key);
    expect(await backend.stat(temp!.key)).toBeNull();
  });
});

describe('sftp backend: includeTemporary', () => {
  const service = sftpConnectionAt('ufs-sftp-temporary-');
  afterAll(async () => (await service).close(), 30_000);

  it('lists the `.ufs-upload-` files of a dropped upload marked temporary, and deletes them by key', async () => {
    const { connection, base } = await service;
    const backend = new SftpBackend(connection, { mountName: 'remote', fsync: false });
    mkdirSync(join(base, 'up'));
    writeFileSync(join(base, 'up/.ufs-upload-0123456789abcdef'), 'partial');
    writeFileSync(join(base, 'up/a.txt'), 'a');
    writeFileSync(join(base, 'up/b.txt'), 'b');
    expect(shown(await listed(backend, 'up', { includeTemporary: true }))).toEqual([
      'up/.ufs-upload-0123456789abcdef (temporary)',
      'up/a.txt',
      'up/b.txt',
    ]);
    expect(shown(await listed(backend, 'up'))).toEqual(['up/a.txt', 'up/b.txt']);
    await backend.delete('up/.ufs-upload-0123456789abcdef');
    expect(shown(await listed(backend, 'up', { includeTemporary: true }))).toEqual(['up/a.txt', 'up/b.txt']);
  });
});
