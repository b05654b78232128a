import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

const box = await sandbox();
afterAll(() => box.cleanup());

// p/keep, p/c/f: the commands run inside p/c, so "." is p/c and ".." is p.
const p = join(box.dir, 'p');
const c = join(p, 'c');
beforeEach(async () => {
  await rm(p, { recursive: true, force: true });
  await mkdir(c, { recursive: true });
  await writeFile(join(c, 'f'), '1\n');
  await writeFile(join(p, 'keep'), '2\n');
});

const run = (args: string[]) => ufs(args, { env: box.env, cwd: c });
const refusal = (arg: string) => `[ufs] rm "${arg}": refusing to remove a "." or ".." folder (skipping it)`;

describe('rm of a path ending in "." or ".." (as GNU rm: refused, nothing deleted)', () => {
  it.each([['..'], ['.'], ['./'], ['.//'], ['../.'], ['../'], ['../c/..'], [`${c}/.`], [`${c}/..//`]])(
    'rm -r %s',
    async (arg) => {
      const r = await run(['rm', '-r', arg]);
      expect(r.stderr.trim()).toBe(refusal(arg));
      expect(r.status).toBe(64);
      expect(existsSync(join(c, 'f'))).toBe(true);
      expect(existsSync(join(p, 'keep'))).toBe(true);
    },
  );

  it('also with -f and without -r', async () => {
    const cases = [
      ['rm', '-rf', '..'],
      ['rm', '.'],
    ];
    const runs = await Promise.all(cases.map(run));
    for (const [i, args] of cases.entries()) {
      expect(runs[i]!.status).toBe(64);
      expect(runs[i]!.stderr.trim()).toBe(refusal(args.at(-1)!));
    }
    expect(existsSync(join(p, 'keep'))).toBe(true);
  });

  it('the other arguments go on; --json names the refused one', async () => {
    const r = await run(['rm', '-r', '--json', '..', 'f', '../a/..']);
    expect(r.status).toBe(64);
    expect(r.stderr.trim().split('\n')).toEqual([refusal('..'), refusal('../a/..')]);
    expect(r.json()).toEqual([
      { path: p, error: expect.objectContaining({ code: 'INVALID_INPUT', context: { operation: 'rm', path: p } }) },
      { path: join(c, 'f'), deleted: true },
      { path: p, error: expect.objectContaining({ code: 'INVALID_INPUT', message: refusal('../a/..') }) },
    ]);
    expect(existsSync(join(c, 'f'))).toBe(false);
    expect(existsSync(join(p, 'keep'))).toBe(true);
  });

  it('names that only begin or end with dots are files like any other', async () => {
    await writeFile(join(c, '.hidden'), '');
    await writeFile(join(c, 'x.'), '');
    const r = await run(['rm', '.hidden', './x.']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(c, '.hidden')) || existsSync(join(c, 'x.'))).toBe(false);
  });
});

describe('mv of a source ending in "." or ".." (as GNU mv: refused, nothing moved)', () => {
  it.each([['.'], ['./'], ['..'], ['../c/..']])('mv %s elsewhere', async (arg) => {
    const dest = join(box.dir, `moved-${arg.replace(/\W/g, '_')}`);
    const r = await run(['mv', arg, dest]);
    expect(r.stderr.trim()).toBe(`[ufs] mv "${arg}": refusing to move a "." or ".." folder (skipping it)`);
    expect(r.status).toBe(64);
    expect(existsSync(join(c, 'f'))).toBe(true);
    expect(existsSync(join(p, 'keep'))).toBe(true);
    expect(existsSync(dest)).toBe(false);
  });

  it('cp of "." still copies the current folder (as cp -r . and rsync . do)', async () => {
    const dest = join(box.dir, 'copied-dot');
    const r = await run(['cp', '.', dest]);
    expect(r.status).toBe(0);
    expect(existsSync(join(dest, 'f'))).toBe(true);
    expect(existsSync(join(c, 'f'))).toBe(true);
  });
});
