// `ufs cp`/`mv` with several sources into one folder, two gaps of the same-name check: a mount's root among the
// sources puts its contents into DEST itself, so its top-level names clash with other sources (without the check,
// `mv m1: m2:x dest` lost m1's `x`); and a source that fails on its own (a file given with a trailing `/`) takes no
// name, so it does not block another source of that name. Real processes and local folders (two local mounts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readTree, writeTree } from './helpers/tree.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let n = 0;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
}, 60_000);
afterAll(async () => {
  await box.cleanup();
});

/** A fresh working folder holding these files (relative path → content). */
const seed = (layout: Record<string, string>) => writeTree(join(box.dir, `w${++n}`), layout);
const files = readTree;

/** Mounts m1 and m2: local, rooted at `m1/` and `m2/` of the working folder. */
async function mounts(cwd: string): Promise<void> {
  const config = {
    mounts: { m1: { protocol: 'local', root: join(cwd, 'm1') }, m2: { protocol: 'local', root: join(cwd, 'm2') } },
  };
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify(config));
}

describe('a mount root among the sources', () => {
  it('mv m1: m2:x dest: the later source m2:x clashes with the root entry x and stays (no data lost)', async () => {
    const cwd = await seed({ 'm1/x': 'ROOT1', 'm1/y': 'Y', 'm2/x': 'M2' });
    await mounts(cwd);
    const run = await ufs(['mv', 'm1:', 'm2:x', 'dest/'], { env, cwd });
    expect(run.stderr.trim()).toBe(
      '[ufs] mv "m2:x": not moved, it stays where it is: "m1:x", in an earlier source (the mount root "m1:", whose contents go into the destination), goes to "dest/x", and this one would overwrite it',
    );
    expect(run.status).toBe(64);
    expect(await files(join(cwd, 'dest'))).toEqual({ x: 'ROOT1', y: 'Y' });
    expect(await files(join(cwd, 'm2'))).toEqual({ x: 'M2' });
  });

  it('cp m2:x m1: dest (--json): the root comes later and is refused as a whole, naming the clashing entry', async () => {
    const cwd = await seed({ 'm1/x': 'ROOT1', 'm1/y': 'Y', 'm2/x': 'M2' });
    await mounts(cwd);
    const run = await ufs(['cp', '--json', 'm2:x', 'm1:', 'dest/'], { env, cwd });
    expect(run.status).toBe(64);
    const result = run.json<{
      files: number;
      errors: Array<{ path: string; dest: string; error: { code: string; message: string } }>;
    }>();
    expect(result.files).toBe(1);
    expect(result.errors).toEqual([
      {
        path: 'm1:',
        dest: join(cwd, 'dest/x'),
        error: expect.objectContaining({
          code: 'INVALID_INPUT',
          message: `[ufs] cp "m1:": not copied: "m2:x", an earlier source of the same name, goes to "dest/x", and this one's "x" (a mount root: its contents go into the destination) would overwrite it`,
        }),
      },
    ]);
    expect(await files(join(cwd, 'dest'))).toEqual({ x: 'M2' });
    expect(await files(join(cwd, 'm1'))).toEqual({ x: 'ROOT1', y: 'Y' });
  });

  it('two roots sharing a top-level name: the later is refused; roots with no common name both go', async () => {
    const cwd = await seed({ 'm1/x': 'ROOT1', 'm2/x': 'ROOT2', 'm2/z': 'Z' });
    await mounts(cwd);
    const run = await ufs(['mv', 'm1:', 'm2:', 'dest/'], { env, cwd });
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('[ufs] mv "m2:": not moved, it stays where it is: "m1:x", in an earlier source');
    expect(await files(join(cwd, 'dest'))).toEqual({ x: 'ROOT1' });
    expect(await files(join(cwd, 'm2'))).toEqual({ x: 'ROOT2', z: 'Z' });
    const ok = await ufs(['cp', 'm2:', 'm1:', 'm1:', 'both/'], { env, cwd });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(await files(join(cwd, 'both'))).toEqual({ x: 'ROOT2', z: 'Z' });
  });
});

describe('a source that fails on its own', () => {
  it('takes no name: mv a/x/ (a file, with a trailing slash) b/x dest moves b/x', async () => {
    const cwd = await seed({ 'a/x': 'A', 'b/x': 'B' });
    await mounts(cwd);
    const run = await ufs(['mv', 'a/x/', 'b/x', 'dest/'], { env, cwd });
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('is a file, not a folder');
    expect(run.status).toBe(64);
    expect(await files(join(cwd, 'dest'))).toEqual({ x: 'B' });
    expect(await files(cwd)).toEqual({ 'a/x': 'A', 'dest/x': 'B' });
  });
});
