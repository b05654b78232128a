import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// What `ufs scan` walks and what it reads again: exclude patterns at the root, followed links, the hash cache's
// test of an unchanged file. Dry runs: no server.

interface ScanJson {
  stats: Record<string, number>;
}

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.cleanup();
});

async function dryScan(args: readonly string[]) {
  const run = await ufs(['scan', '--dry-run', '--json', ...args], { env: box.env });
  expect(run.status).toBe(0);
  return run.json<ScanJson>().stats;
}

describe('ufs scan: the walk', () => {
  it('an exclude pattern matches a root name starting with ".." (e.g. "..hidden")', async () => {
    const root = join(box.dir, 'dots');
    await mkdir(join(root, '..folder'), { recursive: true });
    await writeFile(join(root, '..hidden'), 'left out\n');
    await writeFile(join(root, '..folder', 'inner.txt'), 'left out\n');
    await writeFile(join(root, 'kept.txt'), 'kept\n');
    expect(await dryScan(['--no-cache', root])).toMatchObject({ files: 3 });
    expect(await dryScan(['--no-cache', '-x', '..hidden', '-x', '..folder/', root])).toMatchObject({ files: 1 });
    // the same from a .ufsignore file at the root
    await writeFile(join(root, '.ufsignore'), '..*\n');
    expect(await dryScan(['--no-cache', root])).toMatchObject({ files: 2 }); // kept.txt and .ufsignore
  });

  it('-L walks a folder under each link to it, and cuts (and reports) only real loops (a link to a folder above)', async () => {
    const root = join(box.dir, 'links');
    await mkdir(join(root, 'real', 'deep'), { recursive: true });
    await mkdir(join(root, 'a'), { recursive: true });
    await mkdir(join(root, 'b'), { recursive: true });
    await writeFile(join(root, 'real', 'f.txt'), 'f\n');
    await writeFile(join(root, 'real', 'deep', 'g.txt'), 'g\n');
    await symlink('../real', join(root, 'a', 'to-real'));
    await symlink('../real', join(root, 'b', 'to-real'));
    // loops: back to the root, and back to the folder itself
    await symlink('../..', join(root, 'real', 'deep', 'up'));
    await symlink('.', join(root, 'real', 'self'));
    // real/, a/to-real/ and b/to-real/: f.txt and deep/g.txt under each; the loops add no file, and each one met
    // (under each of the three) is reported as a failure, not cut silently
    const run = await ufs(['scan', '--dry-run', '--json', '--no-cache', '-L', root], { env: box.env });
    expect(run.status).toBe(65);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 6, symlinks: 0, failed: 6 });
    // without -L the four links are recorded as links
    expect(await dryScan(['--no-cache', root])).toMatchObject({ files: 2, symlinks: 4 });
  });
});

describe('ufs scan: names that are not valid UTF-8', () => {
  it('a file or folder so named fails alone, saying why (it was "no such file"), and the rest is scanned', async () => {
    const root = join(box.dir, 'latin1');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'ok.txt'), 'ok\n');
    // Names as bytes: "caf\xe9" (Latin-1 é) and "d\xff".
    await writeFile(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9])]), 'y\n');
    await mkdir(Buffer.concat([Buffer.from(`${root}/d`), Buffer.from([0xff])]));
    const run = await ufs(['scan', '--dry-run', '--no-cache', '--json', root], { env: box.env });
    expect(run.status).toBe(65);
    const result = run.json<{ stats: Record<string, number>; failures: Array<{ path: string; message: string }> }>();
    expect(result.stats).toMatchObject({ files: 1, hashed: 1, failed: 2 });
    expect(result.failures.map((f) => f.message)).toEqual([
      `[ufs] scan "${root}/caf\uFFFD": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`,
      `[ufs] scan "${root}/d\uFFFD": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`,
    ]);
  });
});

describe('ufs scan: the hash cache', () => {
  it('a file changed with its size and mtime put back (touch -r) is hashed again: the ctime differs', async () => {
    const dir = join(box.dir, 'ctime');
    const file = join(dir, 'same-size.txt');
    const reference = join(dir, 'reference');
    const cache = join(box.dir, 'ctime-cache.sqlite');
    await mkdir(dir, { recursive: true });
    await writeFile(file, 'version 1\n');
    await writeFile(reference, '');
    execFileSync('touch', ['-r', file, reference]); // keep the file's times
    expect(await dryScan(['--cache', cache, '-x', 'reference', dir])).toMatchObject({ files: 1, hashed: 1 });
    expect(await dryScan(['--cache', cache, '-x', 'reference', dir])).toMatchObject({ cached: 1, hashed: 0 });
    const before = await stat(file, { bigint: true });
    await new Promise((resolve) => setTimeout(resolve, 50)); // past the clock's granularity
    await writeFile(file, 'version 2\n'); // same size, same inode
    execFileSync('touch', ['-r', reference, file]); // the old mtime back
    const after = await stat(file, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    expect(await dryScan(['--cache', cache, '-x', 'reference', dir])).toMatchObject({ cached: 0, hashed: 1 });
    expect(await dryScan(['--cache', cache, '-x', 'reference', dir])).toMatchObject({ cached: 1, hashed: 0 });
  });
});

describe('ufs scan: what the walk finds', () => {
  interface Failures {
    stats: Record<string, number>;
    failures: Array<{ code: string; message: string; context: { path?: string } }>;
  }
  const scanJson = (args: readonly string[], wrap?: (argv: string[]) => string[]) =>
    ufs(['scan', '--dry-run', '--no-cache', '--json', ...args], { env: box.env, ...(wrap ? { wrap } : {}) });

  it('a name not valid UTF-8 beside one that really holds U+FFFD: the first fails alone, the second is read once', async () => {
    const root = join(box.dir, 'replacement');
    await mkdir(root, { recursive: true });
    // "r\xe9sum\xe9" (Latin-1) decodes as "r\uFFFDsum\uFFFD", the name of the other file.
    await writeFile(
      Buffer.concat([Buffer.from(`${root}/r`), Buffer.from([0xe9]), Buffer.from('sum'), Buffer.from([0xe9])]),
      'a\n',
    );
    await writeFile(join(root, 'r\uFFFDsum\uFFFD'), 'real\n');
    const run = await scanJson([root]);
    expect(run.status).toBe(65);
    const out = run.json<Failures>();
    expect(out.stats).toMatchObject({ files: 1, bytes: 5, hashed: 1, failed: 1 });
    expect(out.failures).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('the name is not valid UTF-8'),
        context: expect.objectContaining({ path: join(root, 'r\uFFFDsum\uFFFD') }),
      }),
    ]);
  });

  it('--exclude and .ufsignore patterns match names case-sensitively, as git does', async () => {
    const root = join(box.dir, 'case');
    await mkdir(join(root, 'Build'), { recursive: true });
    await mkdir(join(root, 'build'), { recursive: true });
    await writeFile(join(root, 'Build', 'a.c'), 'kept\n');
    await writeFile(join(root, 'build', 'b.c'), 'left out\n');
    await writeFile(join(root, 'README.MD'), 'kept\n');
    await writeFile(join(root, 'x.md'), 'left out\n');
    // Build/a.c and README.MD
    expect(await dryScan(['--no-cache', '-x', 'build/', '-x', '*.md', root])).toMatchObject({ files: 2 });
    await writeFile(join(root, '.ufsignore'), 'build/\n*.md\n');
    expect(await dryScan(['--no-cache', root])).toMatchObject({ files: 3 }); // and .ufsignore
  });

  it('a .ufsignore that is a folder (or a FIFO) is no ignore file: its folder is scanned, the folder walked', async () => {
    const root = join(box.dir, 'ignore-folder');
    await mkdir(join(root, 'photos', '.ufsignore'), { recursive: true });
    await writeFile(join(root, 'photos', 'p1.jpg'), 'p\n');
    await writeFile(join(root, 'photos', '.ufsignore', 'q.txt'), 'q\n');
    await mkdir(join(root, 'fifo'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'fifo', '.ufsignore')]); // read, it would wait for a writer
    await writeFile(join(root, 'fifo', 'f.txt'), 'f\n');
    const run = await scanJson([root]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.json<Failures>().stats).toMatchObject({ files: 3, failed: 0 });
  });

  it('a .ufsignore that cannot be read fails its folder, naming the file; the rest is scanned', async () => {
    // Root reads any file: as root, the scan runs as `nobody` (setpriv), who owns the tree.
    const nobody = 65534;
    const asRoot = process.getuid?.() === 0;
    const root = join(box.dir, 'ignore-locked');
    await mkdir(join(root, 'photos'), { recursive: true });
    await writeFile(join(root, 'photos', 'p1.jpg'), 'p\n');
    await writeFile(join(root, 'photos', '.ufsignore'), '*.jpg\n');
    await writeFile(join(root, 'kept.txt'), 'k\n');
    if (asRoot) {
      await chmod(box.dir, 0o755);
      execFileSync('chown', ['-R', `${nobody}:${nobody}`, box.dir]);
    }
    await chmod(join(root, 'photos', '.ufsignore'), 0o000);
    const wrap = (argv: string[]) =>
      asRoot ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', ...argv] : argv;
    const run = await scanJson([root], wrap);
    expect(run.status).toBe(66); // a local input that cannot be read (77 is the server refusing the API key)
    const out = run.json<Failures>();
    expect(out.stats).toMatchObject({ files: 1, failed: 1 }); // kept.txt
    const file = join(root, 'photos', '.ufsignore');
    expect(out.failures).toEqual([
      {
        code: 'PERMISSION_DENIED',
        retryable: false,
        message: `[ufs] scan "${file}": permission denied (EACCES); the ignore file cannot be read, so its folder "${join(root, 'photos')}" is not scanned (its rules could leave files out)`,
        context: { operation: 'scan', path: file },
      },
    ]);
  });

  it('-L records a dangling link as a link and reports a link loop; a FIFO given as a root fails', async () => {
    const root = join(box.dir, 'dangling');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'f.txt'), 'f\n');
    await symlink('nowhere', join(root, 'broken'));
    expect(await dryScan(['--no-cache', '-L', root])).toMatchObject({ files: 1, symlinks: 1, failed: 0 });
    await symlink('loop', join(root, 'loop')); // a link to itself
    const loop = await scanJson(['-L', root]);
    expect(loop.status).not.toBe(0);
    expect(loop.json<Failures>().failures).toEqual([
      expect.objectContaining({ message: `[ufs] scan "${join(root, 'loop')}": too many symbolic links (ELOOP)` }),
    ]);
    const fifo = join(box.dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const run = await scanJson([fifo]);
    expect(run.status).toBe(65);
    expect(run.json<Failures>().failures).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: `[ufs] scan "${fifo}": not a regular file or folder (a FIFO); it is not catalogued`,
      }),
    ]);
  });
});
