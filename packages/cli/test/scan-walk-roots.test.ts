import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { walk } from '../src/scan/walk.js';
import { sandbox, ufs } from './helpers/ufs.js';

// Which files `ufs scan` walks: --exclude wins over every .ufsignore; excludes and the .ufsignore files of the
// folders above apply to the roots named on the command line too; a root whose name is not valid UTF-8 is refused;
// overlapping roots are walked once; with -L a link back to a folder above is reported. Dry runs: no server.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.cleanup();
});

const scan = (args: readonly string[], options: { cwd?: string; wrap?: (argv: string[]) => string[] } = {}) =>
  ufs(['scan', '--dry-run', '--no-cache', '--json', ...args], { env: box.env, ...options });

/** The files a successful dry run counts. */
async function files(args: readonly string[], cwd?: string): Promise<number> {
  const run = await scan(args, cwd === undefined ? {} : { cwd });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.json<ScanJson>().stats.files!;
}

async function tree(name: string, entries: Record<string, string>): Promise<string> {
  const root = join(box.dir, name);
  for (const [path, text] of Object.entries(entries)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('ufs scan: --exclude wins over .ufsignore files', () => {
  it('a "!" pattern in a .ufsignore inside the tree does not take back a file --exclude leaves out', async () => {
    const t = await tree('negation', { 'proj/x.tmp': 'a\n', 'proj/.ufsignore': '!x.tmp\n', 'proj/y.txt': 'y\n' });
    expect(await files([t])).toBe(3);
    expect(await files(['-x', '*.tmp', t])).toBe(2); // y.txt and .ufsignore
    expect(await files(['-x', '**', t])).toBe(0);
    // a root .ufsignore that leaves *.tmp out, taken back deeper: --exclude still decides
    await writeFile(join(t, '.ufsignore'), '*.tmp\n');
    expect(await files(['-x', '*.tmp', t])).toBe(3); // y.txt and both .ufsignore
  });

  it('as in git, a "!" --exclude pattern that matches decides too: it takes back what a .ufsignore leaves out', async () => {
    const t = await tree('cli-negation', { 'keep.log': 'k\n', 'drop.log': 'd\n', '.ufsignore': '*.log\n' });
    expect(await files([t])).toBe(1);
    expect(await files(['-x', '!keep.log', t])).toBe(2);
  });
});

describe('ufs scan: the rules apply to the roots named too', () => {
  it('--exclude matches a root by its name: a file or folder given on the command line is left out as inside', async () => {
    const t = await tree('named', { 'a.tmp': 'a\n', 'b.txt': 'b\n', 'sub/c.tmp': 'c\n', 'sub/d.txt': 'd\n' });
    // `ufs scan -x '*.tmp' t/*`: a.tmp was catalogued, sub/c.tmp left out
    expect(await files(['-x', '*.tmp', join(t, 'a.tmp'), join(t, 'b.txt'), join(t, 'sub')])).toBe(2);
    expect(await files(['-x', 'sub/', join(t, 'sub'), join(t, 'b.txt')])).toBe(1);
    expect(await files(['-x', '/sub', join(t, 'sub')])).toBe(0); // relative to its folder, as rsync reads it
    // `.` names no entry of a folder: only what is below it is matched
    expect(await files(['-x', 'sub', '.'], join(t, 'sub'))).toBe(2);
    expect(await files(['-x', 'sub', '../sub'], join(t, 'sub'))).toBe(0);
  });

  it('the .ufsignore files of the folders above a root apply to it and below, as when their folder is scanned', async () => {
    const t = await tree('above', {
      '.ufsignore': '*.raw\n',
      'photos/2024/a.raw': 'r\n',
      'photos/2024/a.jpg': 'j\n',
      'photos/2024/.ufsignore': '!keep.raw\n',
      'photos/2024/keep.raw': 'k\n',
      'docs/x.txt': 'x\n',
    });
    const photos = join(t, 'photos');
    expect(await files([t])).toBe(5); // .ufsignore, both under photos/2024, a.jpg, docs/x.txt
    expect(await files([photos])).toBe(3); // a.jpg, keep.raw, its .ufsignore
    expect(await files(['.'], join(photos, '2024'))).toBe(3);
    expect(await files([join(photos, '2024', 'a.raw'), join(photos, '2024', 'a.jpg')])).toBe(1);
    expect(await files(['--no-ignore-files', photos])).toBe(4);
    // a folder above the root left out: so is the root
    await writeFile(join(t, '.ufsignore'), 'photos/\n');
    expect(await files([join(photos, '2024'), join(t, 'docs')])).toBe(1);
    expect(await files([join(photos, '2024', 'a.jpg')])).toBe(0);
  });

  it('a .ufsignore above a root that cannot be read fails that root, naming the file; other roots are scanned', async () => {
    // Root reads any file: as root, the scan runs as `nobody` (setpriv), who owns the tree.
    const nobody = 65534;
    const asRoot = process.getuid?.() === 0;
    const own = await sandbox();
    try {
      const t = join(own.dir, 'locked-above');
      await mkdir(join(t, 'photos'), { recursive: true });
      await mkdir(join(own.dir, 'other'), { recursive: true });
      await writeFile(join(t, 'photos', 'p1.jpg'), 'p\n');
      await writeFile(join(own.dir, 'other', 'o.txt'), 'o\n');
      await writeFile(join(t, '.ufsignore'), '*.jpg\n');
      if (asRoot) {
        await chmod(own.dir, 0o755);
        execFileSync('chown', ['-R', `${nobody}:${nobody}`, own.dir]);
      }
      await chmod(join(t, '.ufsignore'), 0o000);
      const wrap = (argv: string[]) =>
        asRoot ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', ...argv] : argv;
      const photos = join(t, 'photos');
      const run = await ufs(['scan', '--dry-run', '--no-cache', '--json', photos, join(own.dir, 'other')], {
        env: own.env,
        wrap,
      });
      expect(run.status).not.toBe(0);
      const out = run.json<ScanJson>();
      expect(out.stats).toMatchObject({ files: 1, failed: 1 }); // other/o.txt
      const file = join(t, '.ufsignore');
      expect(out.failures).toEqual([
        {
          code: 'PERMISSION_DENIED',
          retryable: false,
          message: `[ufs] scan "${file}": permission denied (EACCES); the ignore file cannot be read, so "${photos}" (below its folder) is not scanned (its rules could leave files out)`,
          context: { operation: 'scan', path: file },
        },
      ]);
    } finally {
      await own.cleanup();
    }
  });

  it('-V names a root left out by the rules', async () => {
    const t = await tree('named-verbose', { 'a.tmp': 'a\n' });
    const run = await scan(['-V', '-x', '*.tmp', join(t, 'a.tmp')]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`scan: "${join(t, 'a.tmp')}" left out by --exclude`);
  });
});

describe('ufs scan: a root whose name is not valid UTF-8', () => {
  // The name goes to ufs as bytes (node's spawn passes text as UTF-8): bash prints it.
  const asBytes = (argv: string[]) => ['bash', '-c', 'exec "$@" "$(printf %b "$ROOT")"', 'bash', ...argv];
  const runWith = (escaped: string) =>
    ufs(['scan', '--dry-run', '--no-cache', '--json'], { env: { ...box.env, ROOT: escaped }, wrap: asBytes });
  const refusal = (path: string) =>
    `[ufs] scan "${path}": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`;

  it('is refused, saying why (it was "no such file"); with a twin really named with U+FFFD, the twin is not scanned', async () => {
    const t = join(box.dir, 'bad-root');
    await mkdir(Buffer.from(`${t}/bad\xffdir`, 'latin1'), { recursive: true });
    await writeFile(Buffer.from(`${t}/bad\xffdir/z.txt`, 'latin1'), 'z\n');
    const lossy = join(t, 'bad\uFFFDdir');
    let run = await runWith(`${t}/bad\\xffdir`);
    expect(run.status).toBe(65);
    expect(run.json<ScanJson>().failures).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: refusal(lossy),
        context: { operation: 'scan', path: lossy },
      }),
    ]);
    // the twin: a folder whose name really holds U+FFFD (what the lossy text names)
    await mkdir(lossy);
    await writeFile(join(lossy, 'twin.txt'), 'twin\n');
    run = await runWith(`${t}/bad\\xffdir`);
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 0, failed: 1 });
    expect(out.failures.map((f) => f.message)).toEqual([refusal(lossy)]);
    // a path below it too
    run = await runWith(`${t}/bad\\xffdir/z.txt`);
    expect(run.status).toBe(65);
    expect(run.json<ScanJson>().failures.map((f) => f.message)).toEqual([refusal(join(lossy, 'z.txt'))]);
    // the twin itself, given as the UTF-8 it is, is scanned
    expect(await files([lossy])).toBe(1);
  });

  it('where the command line does not tell (the walk called in-process), a bad name that reads as the root refuses it', async () => {
    const t = join(box.dir, 'bad-root-listing');
    await mkdir(Buffer.from(`${t}/d\xe9j\xe0`, 'latin1'), { recursive: true });
    await mkdir(join(t, 'ok\uFFFD'), { recursive: true });
    await writeFile(join(t, 'ok\uFFFD', 'f.txt'), 'f\n');
    const seen: Array<{ kind: string; path: string; message?: string }> = [];
    for await (const step of walk([join(t, 'd\uFFFDj\uFFFD'), join(t, 'ok\uFFFD')], { ignoreFiles: false })) {
      for (const e of step)
        seen.push({ kind: e.kind, path: e.path, ...(e.kind === 'error' ? { message: e.error.message } : {}) });
    }
    expect(seen).toEqual([
      { kind: 'error', path: join(t, 'd\uFFFDj\uFFFD'), message: refusal(join(t, 'd\uFFFDj\uFFFD')) },
      { kind: 'file', path: join(t, 'ok\uFFFD', 'f.txt') },
    ]);
  });
});

describe('ufs scan: overlapping roots', () => {
  it('a root given twice, or inside another root (by real path), is walked once', async () => {
    const t = await tree('overlap', { 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    const sub = join(t, 'sub');
    await symlink(sub, join(box.dir, 'link-to-sub'));
    expect(await files([t, sub])).toBe(2);
    expect(await files([t, t, sub])).toBe(2);
    expect(await files([sub, t])).toBe(2);
    expect(await files([sub, sub, join(sub, 'b.txt')])).toBe(1);
    expect(await files([join(box.dir, 'link-to-sub'), t])).toBe(2);
    expect(await files([`${t}/./sub/..`, join(t, 'a.txt')])).toBe(2);
    const run = await scan(['-V', t, sub]);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 2, hashed: 2, failed: 0 });
    expect(run.stderr).toContain(`scan: "${sub}" is inside "${t}": walked once, as part of it`);
  });

  it('a root inside one that --exclude leaves out is walked on its own', async () => {
    const t = await tree('overlap-excluded', { 'photos/2024/a.jpg': 'a\n', 'photos/b.jpg': 'b\n' });
    expect(await files(['-x', 'photos/', join(t, 'photos'), join(t, 'photos', '2024')])).toBe(1);
  });
});

describe('ufs scan -L: a link back to a folder above', () => {
  it('is reported as a failure (a loop), as a link to itself is, and not walked', async () => {
    const t = await tree('up-link', { 'sub/f.txt': 'f\n' });
    await symlink('..', join(t, 'sub', 'up'));
    const run = await scan(['-L', t]);
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 1, failed: 1 });
    const up = join(t, 'sub', 'up');
    expect(out.failures).toEqual([
      {
        code: 'INVALID_INPUT',
        retryable: false,
        message: `[ufs] scan "${up}": a loop: it leads back to "${t}", a folder it is in, so it is not walked`,
        context: { operation: 'scan', path: up },
      },
    ]);
    // without -L it is recorded as the link it is
    expect(await scan([t]).then((r) => r.json<ScanJson>().stats)).toMatchObject({ files: 1, symlinks: 1, failed: 0 });
  });
});
