// `ufs mv` to S3 (no real folders there): entries it cannot move are reported even when the source also holds empty
// folders (kept at the source, as documented); `ufs cp/mv --include/--exclude` follow gitignore/rclone-like rules.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let n = 0;

beforeAll(async () => {
  box = await sandbox();
  const s3 = await s3Bucket();
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts: { s3: s3.mount } }));
  env = box.env;
}, 60_000);
afterAll(() => box.cleanup());

/** A fresh folder with files (`a/b.txt`) and empty folders (`a/empty/`). */
async function seed(layout: string[]): Promise<string> {
  const root = join(box.dir, `src-${++n}`);
  await mkdir(root, { recursive: true });
  for (const entry of layout) {
    if (entry.endsWith('/')) await mkdir(join(root, entry), { recursive: true });
    else {
      await mkdir(join(root, entry, '..'), { recursive: true });
      await writeFile(join(root, entry), entry);
    }
  }
  return root;
}

/** Files below a local folder, relative and sorted. */
async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe('ufs mv to S3 with empty folders at the source', () => {
  // An entry no listing shows: a temporary file left by an interrupted write (ufs leaves its own out of listings).
  const LEFTOVER = '.ufs-0123456789abcdef.tmp';

  it('reports an entry it could not move and the listing does not show, empty folders there or not', async () => {
    const layouts = [['r', 'emptyd/'], ['r'], ['r', 'd/emptyd/', 'd/x'], ['r', 'd/x', 'd/e/f/']];
    // Each layout has its own source folder and S3 prefix: the four moves run at the same time.
    await Promise.all(
      layouts.map(async (layout) => {
        const src = await seed(layout);
        const dest = `s3:w-${basename(src)}`; // (n has moved on: the seeds run at the same time)
        const leftIn = layout.length > 2 ? join(src, 'd') : src;
        await writeFile(join(leftIn, LEFTOVER), 'partial');
        const run = await ufs(['mv', src, dest], { env });
        expect({ layout, status: run.status, stdout: run.stdout }).toEqual({
          layout,
          status: 64,
          stdout: expect.stringMatching(/, failed 1\n$/),
        });
        expect(run.stderr).toMatch(/delete ".*": the folder is not empty/);
        expect(await files(src)).toEqual([leftIn === src ? LEFTOVER : `d/${LEFTOVER}`]);
      }),
    );
  });

  it('a dangling link left next to an empty folder is reported', async () => {
    const src = await seed(['r', 'emptyd/']);
    await symlink('nowhere', join(src, 'dangling'));
    const run = await ufs(['mv', src, `s3:w${n}`], { env });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/, failed 1\n$/);
    expect(run.stderr).toMatch(/dangling/);
    expect(await files(src)).toEqual(['dangling']);
  });

  it('only kept empty folders left: no failure, the folders stay', async () => {
    const src = await seed(['r', 'emptyd/', 'd/x', 'd/e/f/']);
    const run = await ufs(['mv', src, `s3:w${n}`], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^moved 2 files .*failed 0$/);
    expect(await files(src)).toEqual([]);
    expect((await readdir(src, { recursive: true })).sort()).toEqual(['d', 'd/e', 'd/e/f', 'emptyd']);
  });
});

describe('ufs cp/mv --include/--exclude patterns', () => {
  const LAYOUT = ['a.md', 'docs/x.md', 'sub/a.md', 'sub/docs/y.txt', 'node_modules/m.js', 'pkg/node_modules/n.js'];

  it.each([
    [
      ['-x', 'node_modules/'],
      ['a.md', 'docs/x.md', 'sub/a.md', 'sub/docs/y.txt'],
    ],
    [
      ['-x', 'docs'],
      ['a.md', 'node_modules/m.js', 'pkg/node_modules/n.js', 'sub/a.md'],
    ],
    [
      ['-i', 'docs'],
      ['docs/x.md', 'sub/docs/y.txt'],
    ],
    [['-i', '/a.md'], ['a.md']],
    [
      ['-i', '*.md', '-x', '/docs/'],
      ['a.md', 'sub/a.md'],
    ],
    [
      ['-x', 'docs/**', '-x', '**/node_modules/**'],
      ['a.md', 'sub/a.md', 'sub/docs/y.txt'],
    ],
  ])('cp %j takes %j', async (flags, expected) => {
    const src = await seed(LAYOUT);
    const out = join(box.dir, `out-${n}`);
    const run = await ufs(['cp', ...flags, src, out], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(await files(out).catch(() => [])).toEqual(expected);
  });

  it('mv -x node_modules/ to S3 moves the rest and leaves those folders whole', async () => {
    const src = await seed(LAYOUT);
    const run = await ufs(['mv', '-x', 'node_modules/', src, `s3:m${n}`], { env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^moved 4 files .*failed 0$/);
    expect(await files(src)).toEqual(['node_modules/m.js', 'pkg/node_modules/n.js']);
  });

  it('cp --help says how patterns read', async () => {
    const help = await ufs(['cp', '--help'], { env });
    expect(help.stdout).toMatch(/trailing "\/" matches folders only/);
    expect(help.stdout).toMatch(/-x node_modules\//);
  });
});
