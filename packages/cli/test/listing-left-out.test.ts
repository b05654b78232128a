// Entries a listing cannot list are reported and fail the command (an incomplete copy never reports success); two
// names that differ only in Unicode form never become one path; a dangling link is removed by rm (the link itself).
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

const box = await sandbox();
afterAll(() => box.cleanup());

const w = join(box.dir, 'w');
beforeEach(async () => {
  await rm(w, { recursive: true, force: true });
  await mkdir(w, { recursive: true });
  // A mount rooted at w/sl, so that a link out of that folder is out of the mount root.
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  const mounts = { mounts: { sl: { protocol: 'local', root: join(w, 'sl') } } };
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), JSON.stringify(mounts));
});
const run = (args: string[]) => ufs(args, { env: box.env, cwd: w });

describe('entries a local listing leaves out', () => {
  beforeEach(async () => {
    await mkdir(join(w, 'sl', 'real'), { recursive: true });
    await writeFile(join(w, 'sl', 'real', 'r'), 'r\n');
    await symlink('nowhere', join(w, 'sl', 'dangling'));
    await symlink('..', join(w, 'sl', 'outlink'));
    execFileSync('mkfifo', [join(w, 'sl', 'pipe')]);
  });

  it('ls and cp report each with why and fail', async () => {
    const listed = await run(['ls', 'sl:']);
    expect(listed.stdout.trim().split('\n')).toEqual(['real/']);
    expect(listed.stderr).toContain('sl:dangling": left out of the listing: a dangling symbolic link');
    expect(listed.stderr).toContain('sl:outlink": left out of the listing: a symbolic link to outside the mount root');
    expect(listed.stderr).toContain('sl:pipe": left out of the listing: a FIFO, not a file or folder');
    expect(listed.status).not.toBe(0);
    const copied = await run(['cp', 'sl:', 'copy']);
    expect(copied.stdout + copied.stderr).toContain('copied 1 file (2 bytes), skipped 0, failed 3');
    expect(copied.status).not.toBe(0);
  });
});

describe('names that differ only in Unicode form', () => {
  it('cp copies the one the path names, reports the other; mv leaves the other in place', async () => {
    await mkdir(join(w, 'd'));
    await writeFile(join(w, 'd', 'cafe\u0301.txt'), 'nfd');
    await writeFile(join(w, 'd', 'caf\u00e9.txt'), 'nfc!');
    const listed = await run(['ls', '--json', 'd']);
    expect((listed.json() as { name: string }[]).map((e) => e.name)).toEqual(['caf\u00e9.txt']);
    expect(listed.status).toBe(64);
    const copied = await run(['cp', 'd', 'c']);
    expect(copied.stdout + copied.stderr).toContain('copied 1 file (4 bytes), skipped 0, failed 1');
    expect(copied.status).toBe(64);
    expect(await readdir(join(w, 'c'))).toEqual(['caf\u00e9.txt']);
    expect(await readFile(join(w, 'c', 'caf\u00e9.txt'), 'utf8')).toBe('nfc!');
    const moved = await run(['mv', 'd', 'm']);
    expect(moved.stdout + moved.stderr).toContain('moved 1 file (4 bytes), skipped 0, failed 1');
    expect(moved.status).toBe(64);
    expect(await readdir(join(w, 'd'))).toEqual(['cafe\u0301.txt']);
  });
});

describe('rm of a dangling symbolic link', () => {
  it.each([[['rm']], [['rm', '-r']], [['rm', '-f']]])('%j removes the link itself', async (args) => {
    await symlink('nowhere', join(w, 'dl'));
    const r = await run([...args, 'dl']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(() => lstatSync(join(w, 'dl'))).toThrow();
    expect(existsSync(join(w, 'nowhere'))).toBe(false);
  });
});
