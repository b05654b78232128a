// A copy or move whose source and destination are the same file (or folder) under two names — a relative mount,
// two mounts of one folder or of one backend instance, a symbolic link — is refused like the same path on one
// mount: INVALID_INPUT, and nothing is deleted or truncated.
import { link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const disk = (...parts: string[]) => join(dir.path, 'home', ...parts);

beforeEach(async () => {
  dir = await tempDir('ufs-copy-same-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'home', protocol: 'local', root: disk() },
    { name: 'inbox', path: 'home:team/inbox' },
    { name: 'deep', path: 'inbox:deep' },
    { name: 'again', protocol: 'local', root: disk('team') },
    { name: 'mem', protocol: 'memory' },
    { name: 'box', path: 'mem:team/inbox' },
  ]);
  await storage.node('home:team/inbox/a.txt').writeText('precious');
  await storage.node('home:team/inbox/deep/b.txt').writeText('deep');
  await storage.node('mem:team/inbox/a.txt').writeText('in memory');
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Both operations refused with the same-file error; the file keeps its content. */
async function refusedBothWays(src: StorageNode, dest: StorageNode, content: string): Promise<void> {
  for (const [from, to] of [
    [src, dest],
    [dest, src],
  ] as const) {
    const moved = await rejectsWith(moveNode(from, to), 'INVALID_INPUT');
    expect(moved.message).toContain('source and destination are the same file');
    expect(moved.message).toContain(from.fullpath);
    expect(moved.message).toContain(to.fullpath);
    await rejectsWith(copyNode(from, to), 'INVALID_INPUT');
    await rejectsWith(from.moveTo(to), 'INVALID_INPUT');
    expect(await src.readText()).toBe(content);
  }
}

describe('a file is not moved or copied onto itself', () => {
  it('through a relative mount (local)', async () => {
    await refusedBothWays(storage.node('home:team/inbox/a.txt'), storage.node('inbox:a.txt'), 'precious');
    expect(await readFile(disk('team/inbox/a.txt'), 'utf8')).toBe('precious');
  });

  it('through a relative mount of a relative mount', async () => {
    await refusedBothWays(storage.node('home:team/inbox/deep/b.txt'), storage.node('deep:b.txt'), 'deep');
  });

  it('through two local mounts over the same folder (real paths)', async () => {
    await refusedBothWays(storage.node('home:team/inbox/a.txt'), storage.node('again:inbox/a.txt'), 'precious');
  });

  it('through a relative mount of a memory mount (no real paths: the mount chain is resolved)', async () => {
    await refusedBothWays(storage.node('mem:team/inbox/a.txt'), storage.node('box:a.txt'), 'in memory');
  });

  it('through two mounts of one backend instance', async () => {
    const backend = new MemoryBackend({ mountName: 'shared' });
    await storage.mountBackend('one', backend);
    await storage.mountBackend('two', backend);
    await storage.node('one:x.txt').writeText('shared');
    await refusedBothWays(storage.node('one:x.txt'), storage.node('two:x.txt'), 'shared');
  });

  it('through a symbolic link inside one local mount', async () => {
    await symlink('a.txt', disk('team/inbox/link.txt'));
    await refusedBothWays(storage.node('inbox:a.txt'), storage.node('inbox:link.txt'), 'precious');
    expect(await readFile(disk('team/inbox/link.txt'), 'utf8')).toBe('precious');
  });

  it('through a hard link (same device and inode)', async () => {
    await link(disk('team/inbox/a.txt'), disk('team/hard.txt'));
    await refusedBothWays(storage.node('inbox:a.txt'), storage.node('again:hard.txt'), 'precious');
    expect(await readFile(disk('team/hard.txt'), 'utf8')).toBe('precious');
  });

  it('a past version may still be copied over its own current file', async () => {
    await storage.configure([
      { name: 'v', url: 'memory://?versioning=true' },
      { name: 'vdir', path: 'v:docs' },
    ]);
    const first = await storage.node('v:docs/c.txt').writeText('first');
    await storage.node('v:docs/c.txt').writeText('second');
    const old = storage.node('vdir:c.txt').atVersion(first.versionId!);
    expect((await copyNode(old, storage.node('v:docs/c.txt'))).files).toBe(1);
    expect(await storage.node('v:docs/c.txt').readText()).toBe('first');
  });

  it('different files through two mounts still move', async () => {
    const summary = await moveNode(storage.node('home:team/inbox/a.txt'), storage.node('inbox:b.txt'));
    expect(summary).toMatchObject({ files: 1, errors: [] });
    expect(await storage.node('home:team/inbox/b.txt').readText()).toBe('precious');
    expect(await storage.node('inbox:a.txt').exists()).toBe(false);
  });
});

describe('a folder is not moved or copied into itself through another mount', () => {
  it('the same folder under two names (local relative mount, second local mount, memory relative mount)', async () => {
    const pairs: [StorageNode, StorageNode][] = [
      [storage.node('home:team/inbox'), storage.node('inbox:')],
      [storage.node('again:inbox'), storage.node('home:team/inbox')],
      [storage.node('mem:team/inbox'), storage.node('box:')],
    ];
    for (const [src, dest] of pairs) {
      for (const [from, to] of [
        [src, dest],
        [dest, src],
      ] as const) {
        const error = await rejectsWith(moveNode(from, to), 'INVALID_INPUT');
        expect(error.message).toContain('the destination is inside the source folder');
        await rejectsWith(copyNode(from, to), 'INVALID_INPUT');
      }
    }
    expect(await storage.node('inbox:a.txt').readText()).toBe('precious');
    expect(await storage.node('inbox:deep/b.txt').readText()).toBe('deep');
    expect(await storage.node('box:a.txt').readText()).toBe('in memory');
  });

  it('a folder into its own subfolder through a relative mount of a memory mount', async () => {
    await rejectsWith(moveNode(storage.node('mem:team'), storage.node('box:archive')), 'INVALID_INPUT');
    await rejectsWith(copyNode(storage.node('mem:team'), storage.node('box:archive')), 'INVALID_INPUT');
    expect(await storage.node('mem:team/inbox/archive').exists()).toBe(false);
    expect(await storage.node('box:a.txt').readText()).toBe('in memory');
  });

  it('a file of a tree that is a link to its own destination fails alone; the others move', async () => {
    await mkdir(disk('src'), { recursive: true });
    await mkdir(disk('dest'), { recursive: true });
    await writeFile(disk('dest/f.txt'), 'kept');
    await writeFile(disk('src/g.txt'), 'moved');
    await symlink('../dest/f.txt', disk('src/f.txt'));
    const summary = await moveNode(storage.node('home:src'), storage.node('home:dest'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['home:src/f.txt', 'INVALID_INPUT']]);
    expect(summary.errors[0]!.error.message).toContain('source and destination are the same file');
    expect(await readFile(disk('dest/f.txt'), 'utf8')).toBe('kept');
    expect(await readFile(disk('dest/g.txt'), 'utf8')).toBe('moved');
  });
});
