import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { LocalBackend, listAll, StorageManager, unreadableOf } from '../src/index.js';
import { drain, tempDir, warningLogger, type Warning } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
/** The temporary folder, real (no link on the way), so that a mount rooted at `/` reaches it by its own key. */
let real: string;
let warnings: Warning[];
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  real = await realpath(dir.path);
  const log = warningLogger();
  warnings = log.warnings;
  storage = new StorageManager({ logger: log.logger });
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const keysOf = (entries: { key: string }[]) => entries.map((e) => e.key);

describe('a local mount rooted at "/"', () => {
  beforeEach(async () => {
    await writeFile(join(real, 'a.txt'), 'a');
    await mkdir(join(real, 'sub'));
    await writeFile(join(real, 'sub/b.txt'), 'bb');
    await symlink(join(real, 'a.txt'), join(real, 'link.txt'));
    await symlink(join(real, 'sub'), join(real, 'link-dir'));
  });

  it('lists the links of a folder (absolute keys), as what they point to, without walking into them', async () => {
    const backend = new LocalBackend({ root: '/', mountName: 'slash' });
    const key = real.slice(1);
    const { entries } = await backend.list(key);
    expect(keysOf(entries)).toEqual([`${key}/a.txt`, `${key}/link-dir`, `${key}/link.txt`, `${key}/sub`]);
    expect(entries.find((e) => e.key === `${key}/link.txt`)).toMatchObject({ isFile: true, size: 1 });
    expect(entries.find((e) => e.key === `${key}/link-dir`)).toMatchObject({ isDir: true, isLink: true });
    expect(entries.find((e) => e.key === `${key}/link.txt`)).toMatchObject({ isLink: true });
    expect(entries.find((e) => e.key === `${key}/sub`)).not.toHaveProperty('isLink');
    const all = (await drain(listAll(backend, key, { recursive: true }))) as { key: string }[];
    expect(keysOf(all)).toEqual([
      `${key}/a.txt`,
      `${key}/link-dir`,
      `${key}/link.txt`,
      `${key}/sub`,
      `${key}/sub/b.txt`,
    ]);
  });

  it('lists them through a configured mount too, and reads through a link', async () => {
    await storage.configure([{ name: 'slash', protocol: 'local', root: '/' }]);
    const folder = storage.node('slash:', real.slice(1));
    expect((await folder.children()).map((n) => n.basename)).toEqual(['a.txt', 'link-dir', 'link.txt', 'sub']);
    expect(await folder.child('link.txt').readText()).toBe('a');
  });

  it('a root given with a trailing separator lists its links the same way', async () => {
    const backend = new LocalBackend({ root: `${real}/`, mountName: 'slashed' });
    expect(keysOf((await backend.list('')).entries)).toEqual(['a.txt', 'link-dir', 'link.txt', 'sub']);
  });
});

describe('entries that cannot be described do not end a listing', () => {
  // Both fail for root as well: a link to itself (ELOOP) and a link to a name longer than a file name may be
  // (ENAMETOOLONG).
  beforeEach(async () => {
    await writeFile(join(real, 'a.txt'), 'a');
    await symlink('loop', join(real, 'loop'));
    await symlink('n'.repeat(300), join(real, 'long'));
    await mkdir(join(real, 'sub'));
    await writeFile(join(real, 'sub/b.txt'), 'bb');
    await symlink('loop2', join(real, 'sub/loop2'));
    await writeFile(join(real, 'z.txt'), 'zzz');
    await storage.configure([
      { name: 'disk', protocol: 'local', root: real },
      { name: 'mem', protocol: 'memory' },
    ]);
  });

  it('the backend yields each by its key, neither file nor folder, with the reason', async () => {
    const backend = new LocalBackend({ root: real, mountName: 'disk' });
    const all = (await drain(listAll(backend, '', { recursive: true }))) as { key: string }[];
    expect(keysOf(all)).toEqual(['a.txt', 'long', 'loop', 'sub', 'sub/b.txt', 'sub/loop2', 'z.txt']);
    const loop = all.find((e) => e.key === 'loop')!;
    expect(loop).toMatchObject({ isFile: false, isDir: false, size: 0 });
    const why = unreadableOf(loop as never)!;
    expect(why.code).toBe('INVALID_INPUT');
    expect(why.message).toBe('[ufs] [local] list "disk:loop": too many symbolic links (ELOOP)');
    expect(unreadableOf(all.find((e) => e.key === 'long') as never)?.message).toContain('(ENAMETOOLONG)');
    expect(unreadableOf(all.find((e) => e.key === 'a.txt') as never)).toBeUndefined();
    // One level, and page by page (the cursor moves past them).
    expect(keysOf((await backend.list('')).entries)).toEqual(['a.txt', 'long', 'loop', 'sub', 'z.txt']);
    const paged = (await drain(listAll(backend, '', { recursive: true, pageSize: 1 }))) as { key: string }[];
    expect(keysOf(paged)).toEqual(keysOf(all));
  });

  it('nodes leave them out and report them to onUnreadable', async () => {
    const reported: UfsError[] = [];
    const paths: string[] = [];
    for await (const node of storage.node('disk:').list({ recursive: true, onUnreadable: (e) => reported.push(e) }))
      paths.push(node.path);
    expect(paths).toEqual(['a.txt', 'sub', 'sub/b.txt', 'z.txt']);
    expect(reported.map((e) => [e.code, e.context.path])).toEqual([
      ['INVALID_INPUT', 'disk:long'],
      ['INVALID_INPUT', 'disk:loop'],
      ['INVALID_INPUT', 'disk:sub/loop2'],
    ]);
    expect(reported[1]!.message).toBe(
      '[ufs] [local] list "disk:loop": left out of the listing: too many symbolic links (ELOOP)',
    );
    expect(warnings).toEqual([]);
  });

  it('without onUnreadable, each is a warning through the logger', async () => {
    expect((await storage.node('disk:').children()).map((n) => n.basename)).toEqual(['a.txt', 'sub', 'z.txt']);
    expect(warnings.map((w) => w.fields)).toEqual([
      { code: 'INVALID_INPUT', mount: 'disk', path: 'disk:long' },
      { code: 'INVALID_INPUT', mount: 'disk', path: 'disk:loop' },
    ]);
    expect(warnings[0]!.message).toContain('left out of the listing: name too long (ENAMETOOLONG)');
  });

  it('a tree copy copies the rest and reports each in errors', async () => {
    const summary = await storage.node('disk:').copyTo(storage.node('mem:copy'));
    expect(summary.files).toBe(3);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([
      ['disk:long', 'INVALID_INPUT'],
      ['disk:loop', 'INVALID_INPUT'],
      ['disk:sub/loop2', 'INVALID_INPUT'],
    ]);
    expect(await storage.node('mem:copy/sub/b.txt').readText()).toBe('bb');
    expect(await storage.node('mem:copy/z.txt').readText()).toBe('zzz');
  });

  it('a tree move moves the rest and leaves them where they are', async () => {
    const summary = await storage.node('disk:sub').moveTo(storage.node('mem:moved'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => e.path)).toEqual(['disk:sub/loop2']);
    expect(await storage.node('mem:moved/b.txt').readText()).toBe('bb');
    // The folder still holds the link, so it stays.
    expect(await storage.node('disk:sub').isDir()).toBe(true);
  });
});
