import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { watchPeakRss } from './helpers/peak-rss.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  dir = join(box.dir, 'work');
  await mkdir(join(dir, 'folder'), { recursive: true });
});
afterAll(() => box.cleanup());

const fresh = async (name: string, files: Record<string, string>) => {
  const root = join(dir, name);
  await mkdir(root, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
};

/** `count` empty files in a new folder `dir` (synchronous calls: far faster than as many promises). */
const emptyFiles = async (dir: string, count: number, name: (i: number) => string) => {
  await mkdir(dir);
  for (let i = 0; i < count; i++) closeSync(openSync(join(dir, name(i)), 'w'));
};

interface Failure {
  path: string;
  error: { code: string; message: string; exitCode: number };
}

describe('several arguments: a failed one does not stop the others', () => {
  it('rm deletes the others, reports each failure, exits with the failures status (1 when codes differ)', async () => {
    const root = await fresh('rm', { 'a.txt': 'a', 'b.txt': 'b', 'd/x': 'x' });
    const run = await ufs(['rm', 'a.txt', 'nope.txt', 'd', 'b.txt'], { env, cwd: root });
    expect(run.stderr.trim().split('\n')).toEqual([
      '[ufs] rm "nope.txt": no such file or folder',
      '[ufs] rm "d": is a folder (use -r)',
    ]);
    expect(run.status).toBe(1); // NOT_FOUND and INVALID_INPUT: no common code
    expect(readdirSync(root)).toEqual(['d']);
    await writeFile(join(root, 'a.txt'), 'a');
    const json = await ufs(['rm', '--json', 'a.txt', 'nope.txt'], { env, cwd: root });
    expect(json.status).toBe(66); // one code: its status
    expect(json.json()).toEqual([
      { path: join(root, 'a.txt'), deleted: true },
      expect.objectContaining({
        path: join(root, 'nope.txt'),
        error: expect.objectContaining({ code: 'NOT_FOUND', exitCode: 66 }),
      }),
    ]);
  });

  it('cat prints every file it can, stat and mkdir go on too; --json has an item per argument', async () => {
    const root = await fresh('cat', { 'a.txt': 'A\n', 'b.txt': 'B\n' });
    // Four runs that touch different names: at the same time.
    const [cat, json, stat, mk] = await Promise.all([
      ufs(['cat', 'a.txt', 'missing', 'b.txt'], { env, cwd: root }),
      ufs(['cat', '--json', 'a.txt', 'missing'], { env, cwd: root }),
      ufs(['stat', '--json', 'missing', 'b.txt'], { env, cwd: root }),
      ufs(['mkdir', 'x/y', 'z'], { env, cwd: root }),
    ]);
    expect(cat.stdout).toBe('A\nB\n');
    expect(cat.stderr.trim()).toBe('[ufs] [local] read "missing": no such file');
    expect(cat.status).toBe(66);
    const items = json.json<Array<{ path: string; text?: string } & Partial<Failure>>>();
    expect(items[0]).toEqual({ path: join(root, 'a.txt'), text: 'A\n', encoding: 'utf8' });
    expect(items[1]).toMatchObject({ path: join(root, 'missing'), error: { code: 'NOT_FOUND' } });
    expect(stat.status).toBe(66);
    expect(stat.json<Array<{ path: string; isFile?: boolean }>>()[1]).toMatchObject({
      path: join(root, 'b.txt'),
      isFile: true,
    });
    expect(mk.status).toBe(66);
    expect(existsSync(join(root, 'z'))).toBe(true);
    // a missing parent: the message says which flag creates it
    expect(mk.stderr.trim()).toBe('[ufs] [local] mkdir "x/y": the parent folder does not exist (use -p to create it)');
  });

  it('cp goes on past a missing source and counts it among the failures', async () => {
    const root = await fresh('cp', { 'a.txt': 'a', 'b.txt': 'b' });
    await mkdir(join(root, 'out'));
    const run = await ufs(['cp', 'a.txt', 'missing', 'b.txt', 'out'], { env, cwd: root });
    expect(run.status).toBe(66);
    expect(readdirSync(join(root, 'out')).sort()).toEqual(['a.txt', 'b.txt']);
    expect(run.stdout.trim()).toBe('copied 2 files (2 bytes), skipped 0, failed 1');
    expect(run.stderr.trim()).toBe('[ufs] [local] stat "missing": no such file or folder');
  });
});

describe('messages name paths as they were typed', () => {
  it('never shows the implicit mount (local:…), in failures or --verbose lines', async () => {
    const root = await fresh('names', { 'src/a.txt': 'a' });
    const [run, json] = await Promise.all([
      ufs(['cp', '-V', 'src', 'dst'], { env, cwd: root }),
      ufs(['cp', '--json', 'src', 'data:x'], { env, cwd: root }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('src/a.txt → dst/a.txt (1 bytes, copy)');
    expect(run.stderr).not.toContain('local:');
    expect(json.status).toBe(66); // unknown mount
    expect(json.stdout + json.stderr).not.toContain('local:');
  });

  it('cat --json over the limit is TOO_LARGE naming the file', async () => {
    const root = await fresh('large', {});
    const file = await open(join(root, 'big.bin'), 'w');
    await file.truncate(17 * 1024 * 1024);
    await file.close();
    const run = await ufs(['cat', '--json', 'big.bin'], { env, cwd: root });
    expect(run.status).toBe(65);
    expect(run.json<Array<{ error: { code: string; message: string } }>>()[0]!.error).toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringContaining('"big.bin"'),
    });
  });
});

describe('a local path ending in / names a folder', () => {
  it('rm ./t.txt/ and cat t.txt/ fail on a file and leave it; ls of a folder with / works', async () => {
    const root = await fresh('slash', { 't.txt': 'keep me', 'sub/a.txt': 'a' });
    const [rm, cat, ls] = await Promise.all([
      ufs(['rm', './t.txt/'], { env, cwd: root }),
      ufs(['cat', 't.txt/'], { env, cwd: root }),
      ufs(['ls', 'sub/'], { env, cwd: root }),
    ]);
    expect(rm.status).toBe(64);
    expect(rm.stderr).toContain('is a file, not a folder');
    expect(existsSync(join(root, 't.txt'))).toBe(true);
    expect(cat.status).toBe(64);
    expect(cat.stdout).toBe('');
    expect({ status: ls.status, stdout: ls.stdout }).toEqual({ status: 0, stdout: 'a.txt\n' });
  });
});

describe('mv of a folder tree', () => {
  it('leaves no folder behind: empty ones are made at the destination', async () => {
    const root = await fresh('mv', { 'src/a/b/f.txt': 'f', 'src/c/g.txt': 'g' });
    await mkdir(join(root, 'src/empty/deeper'), { recursive: true });
    const run = await ufs(['mv', 'src', 'dst'], { env, cwd: root });
    expect(run.status).toBe(0);
    expect(existsSync(join(root, 'src'))).toBe(false);
    expect(readdirSync(join(root, 'dst')).sort()).toEqual(['a', 'c', 'empty']);
    expect(readdirSync(join(root, 'dst/empty'))).toEqual(['deeper']);
  });
});

describe('a reader that goes away (ufs … | head)', () => {
  /** Runs ufs and closes its stdout after the first bytes arrive, as `head -c 10` does. */
  const headOf = (args: string[], cwd: string) =>
    ufs(args, {
      env,
      cwd,
      onSpawn: (child) => child.stdout!.once('data', () => child.stdout!.destroy()),
    });

  it('cat, cat --json and ls stop quietly with 141 (as a program killed by SIGPIPE)', async () => {
    const root = await fresh('pipe', {});
    const file = await open(join(root, 'big.bin'), 'w');
    await file.truncate(64 * 1024 * 1024);
    await file.close();
    await writeFile(join(root, 'lines.txt'), 'x\n'.repeat(4_000_000));
    await emptyFiles(join(root, 'many'), 20_000, (i) => `f${i}`);
    const cases = [
      ['cat', 'big.bin'],
      ['cat', '--json', 'lines.txt'],
      ['ls', 'many'],
      ['ls', '--json', 'many'],
    ];
    // They only read: all four at the same time.
    const runs = await Promise.all(cases.map((args) => headOf(args, root)));
    for (const [i, args] of cases.entries()) {
      expect([args.join(' '), runs[i]!.status, runs[i]!.stderr]).toEqual([args.join(' '), 141, '']);
    }
  });
});

describe('ls streams', () => {
  it('lists 1e5 entries as they come, in flat memory; --json keeps its array form', async () => {
    const root = await fresh('ls', {});
    const many = join(root, 'many');
    await emptyFiles(many, 100_000, (i) => `entry-${i}.txt`);
    const peak = async (args: string[], bin?: string) => {
      let watch: ReturnType<typeof watchPeakRss> | undefined;
      const run = await ufs(args, {
        env,
        timeoutMs: 240_000,
        ...(bin ? { wrap: () => [process.execPath, bin, ...args] } : {}),
        onSpawn: (child) => (watch = watchPeakRss(child.pid!, 20)),
      });
      return { run, ...watch!.stop() };
    };
    // What the storage's own listing of that folder costs (a bare list() in a plain node process).
    const probe = join(root, 'probe.mjs');
    await writeFile(
      probe,
      `const { StorageManager } = await import(${JSON.stringify(import.meta.resolve('@org/storage'))});
       const m = new StorageManager(); await m.addMount({ name: 'l', protocol: 'local', root: '/' });
       let n = 0; for await (const _ of m.node('l:' + process.argv[2].slice(1)).list()) n++; console.log(n);`,
    );
    // Each peak is that process's own high-water mark: the small ones, then the large ones, run side by side.
    const [storageSmall, small] = await Promise.all([
      peak([join(dir, 'folder')], probe),
      peak(['ls', '--json', join(dir, 'folder')]),
    ]);
    const [storageMany, json, plain] = await Promise.all([
      peak([many], probe),
      peak(['ls', '--json', many]),
      peak(['ls', '-l', many]),
    ]);
    expect(storageMany.run.stdout.trim()).toBe('100000');
    expect(json.run.status).toBe(0);
    const entries = json.run.json<Array<{ name: string; isDir: boolean }>>();
    expect(entries).toHaveLength(100_000);
    expect(entries[0]).toMatchObject({ name: 'entry-0.txt', isDir: false });
    expect(plain.run.stdout.split('\n').filter(Boolean)).toHaveLength(100_000);
    // ufs adds little to what the storage's listing itself costs (garbage not yet collected): entries and output are
    // never held whole (held, 1e5 entries and their JSON took well over 100 MB more).
    const storageCost = storageMany.peakBytes - storageSmall.peakBytes;
    for (const p of [json, plain]) expect(p.peakBytes - small.peakBytes - storageCost).toBeLessThan(64 * 1024 * 1024);
  }, 600_000);
});
