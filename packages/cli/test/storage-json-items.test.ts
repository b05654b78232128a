import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let data: string;

beforeAll(async () => {
  box = await sandbox();
  data = join(box.dir, 'a');
  await mkdir(join(data, 'dir'), { recursive: true });
  await writeFile(join(data, 'f.txt'), 'hi\n');
  await writeFile(join(data, 'page.html'), '<p>x</p>\n');
  execFileSync('mkfifo', [join(data, 'fifo')]);
  const config = join(box.dir, 'config.yaml');
  await writeFile(config, stringify({ mounts: { a: { protocol: 'local', root: data } } }));
  env = { ...box.env, UFS_CONFIG: config };
});
afterAll(() => box.cleanup());

const run = (args: string[]) => ufs(args, { env, cwd: data });

interface Failed {
  path: string;
  error: { code: string; message: string };
}

describe('--json of commands taking several paths is an array of items whatever the count', () => {
  it.each([
    [['cat', 'a:nope'], 'a:nope', 'NOT_FOUND', 66],
    [['stat', 'a:nope'], 'a:nope', 'NOT_FOUND', 66],
    [['rm', 'a:nope'], 'a:nope', 'NOT_FOUND', 66],
    [['mkdir', 'a:gone/child'], 'a:gone/child', 'NOT_FOUND', 66],
    [['mkdir', 'a:dir'], 'a:dir', 'ALREADY_EXISTS', 73],
    [['cat', 'zz:x'], 'zz:x', 'NOT_FOUND', 66],
  ])('%j alone that fails', async (args, path, code, status) => {
    const r = await run([...args, '--json']);
    expect(r.status).toBe(status);
    expect(r.json<Failed[]>()).toEqual([{ path, error: expect.objectContaining({ code }) }]);
    // the failure is on stderr as well, as with several paths
    expect(r.stderr.trim()).toBe(r.json<Failed[]>()[0]!.error.message);
  });

  it('without --json a single failure is one line and the status, as before', async () => {
    const r = await run(['cat', 'a:nope']);
    expect(r.status).toBe(66);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('[ufs] [local] read "a:nope": no such file');
  });

  it('a config that cannot be read concerns no path: a bare error, once', async () => {
    const bad = join(box.dir, 'bad.yaml');
    await writeFile(bad, 'mounts: [');
    const r = await ufs(['stat', '--json', '--config', bad, 'a:f.txt', 'a:dir'], { env, cwd: data });
    expect(r.status).toBe(78);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('CONFIG_INVALID');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('ls --json and stat --json entries have the same fields', () => {
  it('name, isFile and isDir in both', async () => {
    const ls = (await run(['ls', '--json', 'a:'])).json<Array<Record<string, unknown>>>();
    const stat = (await run(['stat', '--json', 'a:f.txt', 'a:dir'])).json<Array<Record<string, unknown>>>();
    const file = ls.find((e) => e.name === 'f.txt');
    expect(file).toMatchObject({ path: 'a:f.txt', name: 'f.txt', isFile: true, isDir: false, size: 3 });
    expect(ls.find((e) => e.name === 'dir')).toMatchObject({ path: 'a:dir', isFile: false, isDir: true });
    expect(stat[0]).toMatchObject({ path: 'a:f.txt', name: 'f.txt', isFile: true, isDir: false, size: 3 });
    expect(stat[1]).toMatchObject({ path: 'a:dir', name: 'dir', isFile: false, isDir: true });
    for (const key of ['path', 'name', 'isFile', 'isDir', 'size', 'mtime']) expect(stat[0]).toHaveProperty(key);
    const one = (await run(['ls', '--json', 'a:f.txt'])).json<Array<Record<string, unknown>>>();
    expect(one).toEqual([expect.objectContaining({ name: 'f.txt', isFile: true, isDir: false })]);
  });
});

describe('stat lines', () => {
  it('a FIFO is neither a file nor a folder, and has no size', async () => {
    const r = await run(['stat', 'a:fifo']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('type:  other (not a regular file or a folder)\n');
    expect(r.stdout).not.toContain('size:');
    const json = (await run(['stat', '--json', 'a:fifo'])).json<Array<Record<string, unknown>>>();
    expect(json[0]).toMatchObject({ name: 'fifo', isFile: false, isDir: false });
  });
});
