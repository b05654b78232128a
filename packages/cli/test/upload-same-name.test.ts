import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { sandbox, ufs } from './helpers/ufs.js';

// Files named alike in one `ufs upload` (the real binary), with a local mount (a name-keyed provider) in the provider
// list and the hosting fake as catbox: a repeated argument is one file, and only two files about to be stored on the
// mount under one name clash there.
let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  await mkdir(join(box.dir, 'www'));
  await writeFile(
    join(box.dir, 'mounts.yaml'),
    `- { name: www, protocol: local, root: ${JSON.stringify(join(box.dir, 'www'))}, baseUrl: "http://127.0.0.1:9/" }\n`,
  );
  env = { ...box.env, ...fake.env, UFS_MOUNTS: join(box.dir, 'mounts.yaml'), UFS_MOUNT_TARGET: 'www:drops' };
  for (const folder of ['d1', 'd2']) {
    await mkdir(join(box.dir, folder));
    await writeFile(join(box.dir, folder, 'same.txt'), `${folder}\n`);
  }
  await writeFile(join(box.dir, 'b.bin'), 'b bytes\n');
});
afterAll(async () => {
  await fake.close();
  await box.cleanup();
});

describe('ufs upload with files named alike', () => {
  it('the same file twice on the mount: one upload, its URL on both lines, status 0', async () => {
    const run = await ufs(['upload', '--no-verify', '-p', 'mount', 'b.bin', 'b.bin'], { env, cwd: box.dir });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe('http://127.0.0.1:9/drops/b.bin\nhttp://127.0.0.1:9/drops/b.bin\n');
    expect(await readdir(join(box.dir, 'www/drops'))).toEqual(['b.bin']);
  });

  it('catbox first: both go to catbox; nothing is refused for the mount behind it', async () => {
    fake.mode.catbox = 'ok';
    const run = await ufs(['upload', '-p', 'catbox,mount', 'd1/same.txt', 'd2/same.txt'], { env, cwd: box.dir });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${fake.url}/catbox/f/\\w+\\.txt$`));
  });

  it('catbox failing: the first goes to the mount, the second is refused there (64), line 2 empty', async () => {
    fake.mode.catbox = 'error400';
    const args = ['upload', '--no-verify', '-p', 'catbox,mount', 'd1/same.txt', 'd2/same.txt'];
    const run = await ufs(args, { env, cwd: box.dir });
    expect(run.status).toBe(64);
    expect(run.stdout).toBe('http://127.0.0.1:9/drops/same.txt\n\n');
    expect(run.stderr).toMatch(/mount: \[ufs\] \[mount\] upload "d2\/same.txt": "d1\/same.txt" in the same batch/);
    expect(await readFile(join(box.dir, 'www/drops/same.txt'), 'utf8')).toBe('d1\n');
    fake.mode.catbox = 'ok';
  });
});
