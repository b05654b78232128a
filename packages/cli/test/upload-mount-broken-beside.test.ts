// `ufs upload -p mount` and `ufs provider status mount` (the real binary) with a mounts list holding, beside a good
// local target, mounts that cannot be opened (an sftp mount whose key file is missing, an azure mount without
// AZURE_STORAGE_KEY): only the target's mount (and what it is built on) is opened, so they change nothing; a target on
// one of them fails with its error and 78, and status reports that target's error.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string | undefined>;
let www: string;
let mountsFile: string;
let configFile: string;

beforeAll(async () => {
  box = await sandbox();
  env = { ...box.env, AZURE_STORAGE_KEY: undefined, AZURE_STORAGE_SAS_TOKEN: undefined };
  www = join(box.dir, 'www');
  await mkdir(www);
  await writeFile(join(box.dir, 'a.txt'), 'a bytes\n');
  const mounts = [
    {
      name: 'web',
      protocol: 'sftp',
      host: '127.0.0.1',
      username: 'root',
      privateKeyPath: join(box.dir, 'missing', 'key'),
      hostFingerprint: `SHA256:${'A'.repeat(43)}`,
      root: '/srv',
    },
    { name: 'az', url: 'azure://box?account=devstoreaccount1&endpoint=http://127.0.0.1:9/devstoreaccount1' },
    { name: 'site', protocol: 'local', root: www, baseUrl: 'http://127.0.0.1:9/' },
    { name: 'drops', path: 'site:drops' },
  ];
  mountsFile = join(box.dir, 'mounts.yaml');
  await writeFile(mountsFile, `mounts:\n${mounts.map((m) => `  - ${JSON.stringify(m)}\n`).join('')}`);
  configFile = join(box.dir, 'ufs.yaml');
  await writeFile(
    configFile,
    `upload:\n  providerOptions:\n    mount:\n      target: "drops:cfg"\n      mounts:\n${mounts
      .map((m) => `        - ${JSON.stringify(m)}\n`)
      .join('')}`,
  );
}, 60_000);
afterAll(() => box.cleanup());

describe('the mount provider with broken mounts beside its target', () => {
  it('UFS_MOUNTS: upload to the good target works (0) and status says ready', async () => {
    const mountEnv = { ...env, UFS_MOUNTS: mountsFile, UFS_MOUNT_TARGET: 'site:up' };
    const [upload, status] = await Promise.all([
      ufs(['upload', '--no-verify', '-p', 'mount', 'a.txt'], { env: mountEnv, cwd: box.dir }),
      ufs(['provider', 'status', 'mount'], { env: mountEnv }),
    ]);
    expect({ status: upload.status, stdout: upload.stdout, stderr: upload.stderr }).toEqual({
      status: 0,
      stdout: 'http://127.0.0.1:9/up/a.txt\n',
      stderr: '',
    });
    expect(await readFile(join(www, 'up', 'a.txt'), 'utf8')).toBe('a bytes\n');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^mount\s+ready\b/m);
  });

  it('config file upload.providerOptions.mount: upload through a relative mount on the good one works', async () => {
    const [upload, status] = await Promise.all([
      ufs(['upload', '--config', configFile, '--no-verify', '-p', 'mount', 'a.txt'], { env, cwd: box.dir }),
      ufs(['provider', 'status', '--config', configFile, 'mount'], { env }),
    ]);
    expect([upload.status, upload.stdout, upload.stderr]).toEqual([0, 'http://127.0.0.1:9/drops/cfg/a.txt\n', '']);
    expect(await readFile(join(www, 'drops', 'cfg', 'a.txt'), 'utf8')).toBe('a bytes\n');
    expect(status.stdout).toMatch(/^mount\s+ready\b/m);
  });

  it.each([
    ['the sftp mount without its key file', 'web:up', /mount "web": cannot read "privateKeyPath"/],
    ['the azure mount without a key', 'az:up', /mount "az": .*needs accountKey/],
  ])('a target on %s: upload 78 with its error, status not ready with it', async (_what, target, words) => {
    const mountEnv = { ...env, UFS_MOUNTS: mountsFile, UFS_MOUNT_TARGET: target };
    const [upload, status] = await Promise.all([
      ufs(['upload', '--no-verify', '-p', 'mount', 'a.txt'], { env: mountEnv, cwd: box.dir }),
      ufs(['provider', 'status', 'mount'], { env: mountEnv }),
    ]);
    expect(upload.status).toBe(78);
    expect(upload.stdout).toBe('\n'); // the line of the file that has no URL
    expect(upload.stderr).toMatch(words);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^mount\s+not ready\s+/m);
    expect(status.stdout).toMatch(words);
  });
});
