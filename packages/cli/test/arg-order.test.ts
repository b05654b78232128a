// Repeated arguments keep the order they were typed in, in every command (oclif hands its argv back sorted by each
// value's first position, `a b a` as `a a b`; BaseCommand takes the order from its parse tokens instead).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let root: string;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  root = join(box.dir, 'work');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'a'), 'A\n');
  await writeFile(join(root, 'b'), 'B\n');
  await writeFile(join(root, 'c'), 'C\n');
});
afterAll(() => box.cleanup());

describe('repeated arguments keep their order', () => {
  it('cat a b a prints a, b, a (flags anywhere on the line)', async () => {
    const run = await ufs(['cat', 'a', 'b', 'a'], { env, cwd: root });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: 'A\nB\nA\n' });
    const mixed = await ufs(['cat', 'b', '--verbose', 'a', 'c', 'b', '-V', 'a'], { env, cwd: root });
    expect({ status: mixed.status, stdout: mixed.stdout }).toEqual({ status: 0, stdout: 'B\nA\nC\nB\nA\n' });
  });

  it('stat --json gives one item per argument in the order typed', async () => {
    const run = await ufs(['stat', '--json', 'c', 'a', 'c', 'b', 'a'], { env, cwd: root });
    expect(run.status).toBe(0);
    expect(run.json<Array<{ path: string }>>().map((item) => item.path)).toEqual(
      ['c', 'a', 'c', 'b', 'a'].map((name) => join(root, name)),
    );
  });

  it('rm a b a deletes a, then b, then finds a gone (the failure is the third item)', async () => {
    const dir = join(root, 'rm');
    await mkdir(dir);
    await writeFile(join(dir, 'a'), 'a');
    await writeFile(join(dir, 'b'), 'b');
    const run = await ufs(['rm', '--json', 'a', 'b', 'a'], { env, cwd: dir });
    expect(run.status).toBe(66);
    const items = run.json<Array<{ path: string; deleted?: boolean; error?: { code: string } }>>();
    expect(items.map((item) => [item.path, item.deleted ?? item.error?.code])).toEqual([
      [join(dir, 'a'), true],
      [join(dir, 'b'), true],
      [join(dir, 'a'), 'NOT_FOUND'],
    ]);
  });

  it('mkdir x y x makes x, y, then finds x there', async () => {
    const dir = join(root, 'mk');
    await mkdir(dir);
    const run = await ufs(['mkdir', '--json', 'x', 'y', 'x'], { env, cwd: dir });
    expect(run.status).toBe(73); // ALREADY_EXISTS
    const items = run.json<Array<{ path: string; error?: { code: string } }>>();
    expect(items.map((item) => [item.path, item.error?.code])).toEqual([
      [join(dir, 'x'), undefined],
      [join(dir, 'y'), undefined],
      [join(dir, 'x'), 'ALREADY_EXISTS'],
    ]);
  });

  // cp and mv take their sources from oclif's variadic `source` arg, which oclif fills in token order: this guards
  // cp's own loop (a source list sorted or deduplicated prints a, a, b or a, b), not typedOrder, which cp never uses.
  it('cp a b a DEST copies in the order typed (its variadic arg, not typedOrder)', async () => {
    const run = await ufs(['cp', '-V', '--concurrency', '1', 'a', 'b', 'a', 'out'], { env, cwd: root });
    expect(run.status).toBe(0);
    const lines = run.stderr.split('\n').filter((line) => line.includes(' → '));
    expect(lines.map((line) => line.split(' → ')[0])).toEqual(['a', 'b', 'a']);
    expect(run.stdout.trim()).toBe('copied 3 files (6 bytes), skipped 0, failed 0');
  });
});

// Commands that take any number of arguments (`static strict = false`: cat, stat, rm, mkdir, upload, scan, provider
// status, server verify, help) still refuse a flag they do not have: oclif's check of unknown flags does not depend on
// `strict`, so such a flag never reaches typedOrder as an argument (or as a value out of place).
describe('commands with any number of arguments (strict = false)', () => {
  it('an unknown flag, wherever it is among the arguments, is a usage error (64) and nothing is done', async () => {
    for (const args of [
      ['cat', '--nope', 'a', 'b', 'a'],
      ['cat', 'a', 'b', '--nope', 'a'],
      ['cat', 'a', 'b', 'a', '--nope=1'],
    ]) {
      const run = await ufs(args, { env, cwd: root });
      expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 64, stdout: '' });
      expect(run.stderr).toBe(`[ufs] Nonexistent flag: ${args.find((arg) => arg.startsWith('--'))} (see --help)\n`);
    }
    const dir = join(root, 'rm-unknown');
    await mkdir(dir);
    await writeFile(join(dir, 'a'), 'a');
    const rm = await ufs(['rm', 'a', '-x', 'a'], { env, cwd: dir });
    expect({ status: rm.status, stderr: rm.stderr }).toEqual({
      status: 64,
      stderr: '[ufs] Nonexistent flag: -x (see --help)\n',
    });
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('a'); // not deleted
    const json = await ufs(['stat', '--json', 'a', '--nope', 'a'], { env, cwd: root });
    expect(json.status).toBe(64);
    expect(json.json<{ error: { code: string; exitCode: number } }>().error).toMatchObject({
      code: 'INVALID_INPUT',
      exitCode: 64,
    });
  });

  it('after --, a word that looks like a flag is an argument, in its place among repeats', async () => {
    const run = await ufs(['cat', 'a', '--', '--nope', 'b', 'a'], { env, cwd: root });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 66, stdout: 'A\nB\nA\n' });
    expect(run.stderr).toBe('[ufs] [local] read "--nope": no such file\n');
    // `-V` after `--` is a file name, not --verbose: the failure is one line, no details.
    const dashV = await ufs(['cat', 'a', '--', '-V'], { env, cwd: root });
    expect({ status: dashV.status, stdout: dashV.stdout, stderr: dashV.stderr }).toEqual({
      status: 66,
      stdout: 'A\n',
      stderr: '[ufs] [local] read "-V": no such file\n',
    });
    const stat = await ufs(['stat', '--json', 'b', '--', 'a', '-V', 'b'], { env, cwd: root });
    expect(stat.status).toBe(66);
    expect(stat.json<Array<{ path: string }>>().map((item) => item.path)).toEqual(
      ['b', 'a', '-V', 'b'].map((name) => join(root, name)),
    );
  });

  it('a negative number is an argument, not a flag, and keeps its place: cat -1 a -1', async () => {
    await writeFile(join(root, '-1'), 'M\n');
    const run = await ufs(['cat', '-1', 'a', '-1'], { env, cwd: root });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: 'M\nA\nM\n' });
  });
});
