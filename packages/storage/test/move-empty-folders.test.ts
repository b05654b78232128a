// A whole folder moved by the engine (moveNode / node.moveTo) leaves nothing behind: its empty folders are made at the
// destination and removed from the source, on one mount (native rename) and across mounts (streamed), local and
// memory. What was skipped, failed or left out by a filter stays, with the folders that hold it.
import { mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { moveNode } from '../src/copy/index.js';
import { interceptBackend, MemoryBackend, StorageManager, type StorageNode } from '../src/index.js';
import { rejectsWith, tempDir, tree } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-move-empty-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'memory', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Every entry below `root`, relative, folders ending in `/`, sorted. */
async function entries(root: StorageNode): Promise<string[]> {
  const out: string[] = [];
  for await (const node of root.list({ recursive: true }))
    out.push(`${node.path.slice(root.path.length + 1)}${node.listed?.isDir ? '/' : ''}`);
  return out.sort();
}

/** Files with text, and empty folders (`a/empty/` with a trailing slash). */
async function seed(root: StorageNode, layout: string[]): Promise<void> {
  for (const entry of layout) {
    if (entry.endsWith('/')) await root.child(entry.slice(0, -1)).mkdir({ parents: true, existOk: true });
    else await root.child(entry).writeText(entry);
  }
}

const LAYOUT = ['a.txt', 'docs/b.txt', 'empty/', 'empty/deeper/', 'docs/blank/', 'only-folders/x/y/'];
const MOVED = [
  'a.txt',
  'docs/',
  'docs/b.txt',
  'docs/blank/',
  'empty/',
  'empty/deeper/',
  'only-folders/',
  'only-folders/x/',
  'only-folders/x/y/',
];

describe.each([
  ['local', 'local'],
  ['memory', 'memory'],
  ['memory', 'local'],
  ['local', 'memory'],
])('a whole folder moved from %s to %s', (from, to) => {
  const src = () => storage.node(`${from}:src`);
  const dest = () => storage.node(`${to}:moved/here`);

  it('takes its empty folders along and leaves no source folder behind', async () => {
    await seed(src(), LAYOUT);
    const summary = await src().moveTo(dest());
    expect(summary).toMatchObject({ files: 2, skipped: 0, errors: [] });
    expect(await entries(dest())).toEqual(MOVED);
    expect(await src().exists()).toBe(false);
  });

  it('a folder with nothing in it at all moves too', async () => {
    await src().child('nothing').mkdir({ parents: true });
    const summary = await moveNode(src().child('nothing'), dest());
    expect(summary).toMatchObject({ files: 0, errors: [] });
    expect(await dest().isDir()).toBe(true);
    expect(await src().child('nothing').exists()).toBe(false);
    expect(await src().isDir()).toBe(true); // only the moved folder goes, not the one above it
  });

  it('a skipped file stays with the folders above it; the empty folders elsewhere move', async () => {
    await seed(src(), LAYOUT);
    await dest().child('docs/b.txt').writeText('already there');
    const summary = await moveNode(src(), dest(), { skip: 'exists' });
    expect(summary).toMatchObject({ files: 1, skipped: 1, errors: [] });
    expect(await entries(src())).toEqual(['docs/', 'docs/b.txt']);
    expect(await entries(dest())).toEqual(MOVED);
  });

  it('with include, exclude or filter only the files chosen move: empty folders stay where they are', async () => {
    await seed(src(), LAYOUT);
    const summary = await moveNode(src(), dest(), { include: '**/*.txt' });
    expect(summary).toMatchObject({ files: 2, errors: [] });
    expect(await entries(src())).toEqual([
      'docs/',
      'docs/blank/',
      'empty/',
      'empty/deeper/',
      'only-folders/',
      'only-folders/x/',
      'only-folders/x/y/',
    ]);
    expect(await entries(dest())).toEqual(['a.txt', 'docs/', 'docs/b.txt']);
    await seed(src(), ['c.txt']);
    await moveNode(src(), dest(), { filter: () => true });
    expect(await src().child('empty/deeper').isDir()).toBe(true);
  });
});

describe('failures', () => {
  it('an empty folder that cannot be made at the destination is an error naming it, and stays at the source', async () => {
    await seed(storage.node('memory:src'), ['a.txt', 'empty/', 'other/']);
    await mkdir(join(dir.path, 'local', 'dest'), { recursive: true });
    await writeFile(join(dir.path, 'local', 'dest', 'empty'), 'a file is in the way');
    const summary = await moveNode(storage.node('memory:src'), storage.node('local:dest'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => [e.path, e.dest, e.error.code])).toEqual([
      ['memory:src/empty', 'local:dest/empty', 'ALREADY_EXISTS'],
    ]);
    expect(summary.errors[0]!.error.message).toMatch(/^\[ufs\] move "memory:src\/empty" → "local:dest\/empty": /);
    expect(await entries(storage.node('memory:src'))).toEqual(['empty/']);
    expect(await tree(join(dir.path, 'local', 'dest'))).toEqual(['a.txt', 'empty', 'other']);
  });

  it('an abort once the files are moved rejects with ABORTED and moves no folder', async () => {
    await seed(storage.node('local:src'), ['a.txt', 'empty/a/', 'empty/b/']);
    const controller = new AbortController();
    const move = moveNode(storage.node('local:src'), storage.node('memory:dest'), {
      signal: controller.signal,
      onFile: () => controller.abort(),
    });
    await expect(move).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await entries(storage.node('local:src'))).toEqual(['empty/', 'empty/a/', 'empty/b/']);
    expect(await storage.node('memory:dest/empty').exists()).toBe(false);
  });
});

describe('symbolic links', () => {
  // A link inside the moved tree to a folder outside it, holding empty folders: the tree walk never enters a link, and
  // neither do the empty folders of the move (they would be removed through the link, outside the tree).
  it.each([['local'], ['memory']])(
    'a link to a folder is never entered: what it points to stays whole, the link stays (moved to %s)',
    async (to) => {
      const local = join(dir.path, 'local');
      await mkdir(join(local, 'outside', 'e1'), { recursive: true });
      await mkdir(join(local, 'outside', 'e2', 'deep'), { recursive: true });
      await mkdir(join(local, 'src', 'empty'), { recursive: true });
      await writeFile(join(local, 'src', 'a.txt'), 'a');
      await symlink(join(local, 'outside'), join(local, 'src', 'link'));
      const listed = await storage.node('local:src/link').parent!.children();
      expect(listed.find((n) => n.basename === 'link')!.listed).toMatchObject({ isDir: true, isLink: true });
      expect(listed.find((n) => n.basename === 'a.txt')!.listed?.isLink).toBeUndefined();

      const summary = await moveNode(storage.node('local:src'), storage.node(`${to}:moved`));
      // The link is not followed, and it is reported (a move that leaves it never looks like a complete one).
      expect(summary.files).toBe(1);
      expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['local:src/link', 'UNSUPPORTED']]);
      expect(await tree(join(local, 'outside'))).toEqual(['e1', 'e2', 'e2/deep']);
      expect(await readlink(join(local, 'src', 'link'))).toBe(join(local, 'outside'));
      expect(await tree(join(local, 'src'))).toEqual(['link']);
      expect(await entries(storage.node(`${to}:moved`))).toEqual(['a.txt', 'empty/']);
    },
  );
});

/** `memory` with `capabilities.directories` false, as on object stores (its mkdir still works: nothing may call it). */
async function mountWithoutFolders(name: string, fail?: (op: string, key: string) => boolean): Promise<void> {
  const inner = new MemoryBackend({ mountName: name });
  const backend = interceptBackend(
    inner,
    (call, next) => {
      if (fail?.(call.op, call.key))
        throw new UfsError('PERMISSION_DENIED', `[ufs] [${name}] ${call.op} "${call.key}": refused (test)`);
      return next();
    },
    fail ? {} : { capabilities: { ...inner.capabilities, directories: false } },
  );
  await storage.mountBackend(name, backend);
}

describe('a destination with no real folders (object stores)', () => {
  it('makes nothing there and removes no empty source folder', async () => {
    await mountWithoutFolders('flat');
    await seed(storage.node('local:src'), LAYOUT);
    const summary = await moveNode(storage.node('local:src'), storage.node('flat:moved'));
    expect(summary).toMatchObject({ files: 2, errors: [] });
    expect(await entries(storage.node('flat:moved'))).toEqual(['a.txt', 'docs/', 'docs/b.txt']);
    // The folders the move emptied go; those that were empty before stay (nothing at the destination could hold them).
    expect(await tree(join(dir.path, 'local', 'src'))).toEqual([
      'docs',
      'docs/blank',
      'empty',
      'empty/deeper',
      'only-folders',
      'only-folders/x',
      'only-folders/x/y',
    ]);
  });
});

describe('a folder that could not be removed', () => {
  it('is one failure, not one for the emptied folders and one more for the empty folders', async () => {
    await mountWithoutFolders('refusing', (op, key) => op === 'delete' && key === 'src/docs');
    await seed(storage.node('refusing:src'), ['a.txt', 'docs/b.txt', 'empty/']);
    const summary = await moveNode(storage.node('refusing:src'), storage.node('memory:moved'));
    expect(summary.files).toBe(2);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['refusing:src/docs', 'PERMISSION_DENIED']]);
    expect(await entries(storage.node('refusing:src'))).toEqual(['docs/']);
  });
});

describe('failFast', () => {
  it('a folder the move emptied that cannot be removed stops a filtered move as it stops a whole one', async () => {
    await mountWithoutFolders('refusing', (op, key) => op === 'delete' && key === 'src/docs');
    for (const options of [{ include: '**/*.txt' }, {}]) {
      await seed(storage.node('refusing:src'), ['a.txt', 'docs/b.txt', 'empty/']);
      const move = moveNode(storage.node('refusing:src'), storage.node('memory:moved'), { ...options, failFast: true });
      const error = await rejectsWith(move, 'PERMISSION_DENIED');
      expect(error.message).toMatch(/^\[ufs\] move "refusing:src\/docs" → "memory:moved": /);
    }
  });

  it('an empty folder that cannot be made at the destination stops the move', async () => {
    await seed(storage.node('memory:src'), ['a.txt', 'empty/']);
    await mkdir(join(dir.path, 'local', 'dest'), { recursive: true });
    await writeFile(join(dir.path, 'local', 'dest', 'empty'), 'a file is in the way');
    const move = moveNode(storage.node('memory:src'), storage.node('local:dest'), { failFast: true });
    const error = await rejectsWith(move, 'ALREADY_EXISTS');
    expect(error.message).toMatch(/^\[ufs\] move "memory:src\/empty" → "local:dest\/empty": /);
  });
});
