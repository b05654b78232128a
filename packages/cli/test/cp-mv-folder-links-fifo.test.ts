// `ufs mv`/`ufs cp` of a tree holding a symbolic link to a folder report the link (not followed, UNSUPPORTED) and exit
// non-zero, leaving it in place; `ufs cat`/`cp` of a FIFO in a local mount are refused at once. Real folders, a real
// radosgw, real processes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let n = 0;
const l2 = () => join(box.dir, 'L2');
const l3 = () => join(box.dir, 'L3');
const run = (args: string[]) => ufs(args, { env: box.env, cwd: box.dir, timeoutMs: 20_000 });

beforeAll(async () => {
  box = await sandbox();
  const s3 = await s3Bucket();
  const mounts = { b: { protocol: 'local', root: l2() }, c: { protocol: 'local', root: l3() }, s3: s3.mount };
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts }));
}, 60_000);
afterAll(() => box.cleanup());
beforeEach(async () => {
  await rm(l2(), { recursive: true, force: true });
  await rm(l3(), { recursive: true, force: true });
  await mkdir(join(l2(), 'g', 'dir'), { recursive: true });
  await mkdir(l3(), { recursive: true });
  await writeFile(join(l2(), 'g', 'dir', 'x.txt'), 'x\n');
  await symlink('dir', join(l2(), 'g', 'dl'));
});

describe('a link to a folder in a moved or copied tree', () => {
  it.each([['s3'], ['c']])('mv to %s reports it, exits non-zero and leaves it', async (to) => {
    const dest = `${to}:g${++n}`;
    const moved = await run(['mv', 'b:g', dest, '--json']);
    expect(moved.status).toBe(69);
    const json = moved.json<{ files: number; errors: { path: string; error: { code: string; message: string } }[] }>();
    expect(json.files).toBe(1);
    expect(json.errors.map((e) => [e.path, e.error.code])).toEqual([['b:g/dl', 'UNSUPPORTED']]);
    expect(json.errors[0]!.error.message).toMatch(/"b:g\/dl" → .*: is a symbolic link to a folder, not followed/);
    expect(moved.stderr).toContain('"b:g/dl"');
    expect(lstatSync(join(l2(), 'g', 'dl')).isSymbolicLink()).toBe(true);
    expect(await readlink(join(l2(), 'g', 'dl'))).toBe('dir');
  });

  it('mv without --json says it failed; cp of a deeper link too', async () => {
    await mkdir(join(l2(), 'g', 'sub'));
    await symlink('../dir', join(l2(), 'g', 'sub', 'dl'));
    await writeFile(join(l2(), 'g', 'sub', 'y.txt'), 'y\n');
    const copied = await run(['cp', 'b:g', 'c:gcopy']);
    expect(copied.stdout + copied.stderr).toContain('copied 2 files (4 bytes), skipped 0, failed 2');
    expect(copied.stderr).toMatch(/copy "b:g\/sub\/dl" → "c:gcopy\/sub\/dl": is a symbolic link to a folder/);
    expect(copied.status).toBe(69);
    const moved = await run(['mv', 'b:g', 'c:gmv']);
    expect(moved.stdout + moved.stderr).toContain('moved 2 files (4 bytes), skipped 0, failed 2');
    expect(moved.status).toBe(69);
    expect(lstatSync(join(l2(), 'g', 'sub', 'dl')).isSymbolicLink()).toBe(true);
  });

  it('excluded, it is left out without a failure', async () => {
    const copied = await run(['cp', 'b:g', 'c:gx', '-x', 'dl']);
    expect(copied.stderr).toBe('');
    expect(copied.status).toBe(0);
  });
});

describe('a FIFO in a local mount', () => {
  beforeEach(() => {
    execFileSync('mkfifo', [join(l2(), 'fifo')]);
  });

  it('cat is refused at once with UNSUPPORTED', async () => {
    const started = Date.now();
    const cat = await run(['cat', 'b:fifo']);
    expect(cat.stderr).toContain('[ufs] [local] read "b:fifo": is a FIFO, not a regular file');
    expect(cat.status).toBe(69);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it.each([['c:ff'], ['b:ff'], ['s3:ff']])('cp to %s is refused with UNSUPPORTED', async (dest) => {
    const copied = await run(['cp', 'b:fifo', dest]);
    expect(copied.stderr).toContain('copy "b:fifo": is a FIFO, not a regular file');
    expect(copied.status).toBe(69);
  });
});
