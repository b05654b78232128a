// include/exclude patterns follow gitignore/rclone rules: a name without `/` matches at any level (a file so named,
// or everything below a folder so named), a trailing `/` matches folders only, a leading `/` (or one inside) anchors
// the pattern to the source folder; `dir/**` keeps working.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager, type StorageNode } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

const FILES = [
  'a.md',
  'docs/x.md',
  'sub/a.md',
  'sub/docs/y.txt',
  'sub/docs.txt',
  'node_modules/m.js',
  'pkg/node_modules/n.js',
  'pkg/node_modules.js',
  'pkg/docs', // a file named like the folders above
  '.git/HEAD',
];

beforeEach(async () => {
  dir = await tempDir('ufs-copy-rules-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'local', protocol: 'local', root: join(dir.path, 'local') },
    { name: 'memory', protocol: 'memory' },
  ]);
  for (const file of FILES) await storage.node(`memory:src/${file}`).writeText(file);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** The files a copy of memory:src takes with these options, sorted. */
async function copied(options: Parameters<typeof copyNode>[2]): Promise<string[]> {
  const dest = storage.node(`memory:dest-${Math.random().toString(36).slice(2)}`);
  const summary = await copyNode(storage.node('memory:src'), dest, options);
  expect(summary.errors).toEqual([]);
  const out: string[] = [];
  for await (const node of dest.list({ recursive: true }))
    if (node.listed?.isFile) out.push(node.path.slice(dest.path.length + 1));
  return out.sort();
}

const ALL = [
  '.git/HEAD',
  'a.md',
  'docs/x.md',
  'node_modules/m.js',
  'pkg/docs',
  'pkg/node_modules.js',
  'pkg/node_modules/n.js',
  'sub/a.md',
  'sub/docs.txt',
  'sub/docs/y.txt',
];
const without = (...gone: string[]) => ALL.filter((path) => !gone.includes(path));

describe('exclude', () => {
  it('a name without / leaves out files and folders of that name at any level, and all below them', async () => {
    expect(await copied({ exclude: 'docs' })).toEqual(without('docs/x.md', 'pkg/docs', 'sub/docs/y.txt'));
    expect(await copied({ exclude: 'node_modules' })).toEqual(without('node_modules/m.js', 'pkg/node_modules/n.js'));
    expect(await copied({ exclude: 'a.md' })).toEqual(without('a.md', 'sub/a.md'));
    expect(await copied({ exclude: '*.md' })).toEqual(without('a.md', 'docs/x.md', 'sub/a.md'));
    expect(await copied({ exclude: '.git' })).toEqual(without('.git/HEAD'));
  });

  it('a trailing / names folders only', async () => {
    expect(await copied({ exclude: 'node_modules/' })).toEqual(without('node_modules/m.js', 'pkg/node_modules/n.js'));
    expect(await copied({ exclude: 'pkg/docs/' })).toEqual(ALL); // a file, not a folder
    expect(await copied({ exclude: 'docs/' })).toEqual(without('docs/x.md', 'sub/docs/y.txt'));
  });

  it('a leading / (or one inside) anchors to the source folder', async () => {
    expect(await copied({ exclude: '/docs' })).toEqual(without('docs/x.md'));
    expect(await copied({ exclude: '/node_modules/' })).toEqual(without('node_modules/m.js'));
    expect(await copied({ exclude: '/a.md' })).toEqual(without('a.md'));
    expect(await copied({ exclude: 'sub/docs' })).toEqual(without('sub/docs/y.txt'));
    expect(await copied({ exclude: 'docs/*.md' })).toEqual(without('docs/x.md'));
  });

  it('dir/** and **/ patterns keep their meaning', async () => {
    expect(await copied({ exclude: 'docs/**' })).toEqual(without('docs/x.md'));
    expect(await copied({ exclude: '**/docs/**' })).toEqual(without('docs/x.md', 'sub/docs/y.txt'));
    expect(await copied({ exclude: ['sub/**', 'pkg/**'] })).toEqual(
      without('sub/a.md', 'sub/docs.txt', 'sub/docs/y.txt', 'pkg/docs', 'pkg/node_modules.js', 'pkg/node_modules/n.js'),
    );
  });
});

describe('include', () => {
  it('takes files and whole folders by name, anchored or not; exclusion still wins', async () => {
    expect(await copied({ include: 'docs' })).toEqual(['docs/x.md', 'pkg/docs', 'sub/docs/y.txt']);
    expect(await copied({ include: 'docs/' })).toEqual(['docs/x.md', 'sub/docs/y.txt']);
    expect(await copied({ include: '/docs' })).toEqual(['docs/x.md']);
    expect(await copied({ include: '/a.md' })).toEqual(['a.md']);
    expect(await copied({ include: 'a.md' })).toEqual(['a.md', 'sub/a.md']);
    expect(await copied({ include: 'node_modules/' })).toEqual(['node_modules/m.js', 'pkg/node_modules/n.js']);
    expect(await copied({ include: '*.md', exclude: 'sub' })).toEqual(['a.md', 'docs/x.md']);
    expect(await copied({ include: 'docs/**' })).toEqual(['docs/x.md']);
  });

  it('a single file is matched by its name', async () => {
    const file = storage.node('memory:src/sub/a.md');
    for (const [options, files] of [
      [{ include: '/a.md' }, 1],
      [{ exclude: 'a.md' }, 0],
      [{ exclude: 'a.md/' }, 1],
    ] as const) {
      const summary = await copyNode(file, storage.node(`memory:one-${files}-${Math.random()}.md`), options);
      expect(summary.files).toBe(files);
    }
  });

  it('a pattern that is only slashes names nothing: INVALID_INPUT', async () => {
    await rejectsWith(
      copyNode(storage.node('memory:src'), storage.node('memory:y'), { exclude: '/' }),
      'INVALID_INPUT',
    );
    await rejectsWith(
      copyNode(storage.node('memory:src'), storage.node('memory:y'), { include: ['//'] }),
      'INVALID_INPUT',
    );
  });

  it('a pattern with a "." or ".." segment, or a gitignore negation, would match nothing: INVALID_INPUT', async () => {
    for (const exclude of ['.', './', '../src', 'docs/./a.md', '!*.md']) {
      await rejectsWith(copyNode(storage.node('memory:src'), storage.node('memory:y'), { exclude }), 'INVALID_INPUT');
    }
    await expect(copyNode(storage.node('memory:src'), storage.node('memory:y'), { include: '!*.md' })).rejects.toThrow(
      '"!" (negation) is not supported; use exclude instead',
    );
    // Dots inside a name are names: `.git`, `a..b`, `*.md` stay patterns.
    await expect(
      copyNode(storage.node('memory:src'), storage.node('memory:y'), { exclude: ['.git', 'a..b', '*.md'] }),
    ).resolves.toMatchObject({ errors: [] });
  });
});

describe('a filtered move', () => {
  it('-x node_modules/ leaves those folders whole at the source', async () => {
    const src: StorageNode = storage.node('local:src');
    await copyNode(storage.node('memory:src'), src);
    const summary = await moveNode(src, storage.node('local:moved'), { exclude: 'node_modules/' });
    expect(summary).toMatchObject({ files: ALL.length - 2, errors: [] });
    const left: string[] = [];
    for await (const node of src.list({ recursive: true })) if (node.listed?.isFile) left.push(node.path);
    expect(left.sort()).toEqual(['src/node_modules/m.js', 'src/pkg/node_modules/n.js']);
  });
});
