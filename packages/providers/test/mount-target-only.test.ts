import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ufsFailure } from '@org/core/testing';
import { StorageManager } from '@org/storage';
import { loadProvider, providerStatus, uploadFile, type UploadFileOptions } from '../src/index.js';
import { staticServer } from './fakes/mount-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The mount provider opens only its target's mount and the mounts that one is built on (a relative mount's parent, a
// zip mount's archive mount): a mount of its list that cannot be opened (an sftp key file missing, an azure mount
// without a key, an unset ${VAR}, a relative mount on no mount) changes nothing for a target elsewhere, in the upload,
// the delete and the status; a target on it (or built on it) fails with the error configuring it gives. Real mounts:
// a local folder served by a small web server, and the broken mounts beside it.
let dir: string;
let root: string;
let cleanup: () => Promise<void>;
let web: Awaited<ReturnType<typeof staticServer>>;
/** The mounts list: one good local mount, a relative mount on it, and mounts that cannot be opened. */
let mounts: Record<string, Record<string, unknown>>;
/** What configuring each broken target (with the mounts it is built on) gives, by the storage manager itself. */
const expected: Record<string, { code: string; message: string }> = {};

/** Configures `list` in one `configure()` (no env, as the uploads below): the error, without `[ufs] `. */
async function configureError(list: Array<Record<string, unknown>>): Promise<{ code: string; message: string }> {
  const storage = new StorageManager({ env: {} });
  try {
    const error = await ufsFailure(storage.configure(list as never));
    return { code: error.code, message: error.message.replace(/^\[ufs\] /, '') };
  } finally {
    await storage.dispose();
  }
}

const list = () => Object.values(mounts);
const opts = (target: string, extra: Record<string, unknown> = {}): UploadFileOptions => ({
  providers: ['mount'],
  env: {},
  retry: FAST_RETRY,
  providerOptions: { mount: { mounts: list(), target, ...extra } },
});

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ufs-mount-target-'));
  root = join(dir, 'root');
  web = await staticServer(root);
  mounts = {
    sftp: {
      name: 'sftp',
      protocol: 'sftp',
      host: '127.0.0.1',
      username: 'root',
      privateKeyPath: join(dir, 'missing', 'key'),
      hostFingerprint: `SHA256:${'A'.repeat(43)}`,
      root: '/srv',
    },
    site: { name: 'site', protocol: 'local', root, baseUrl: `${web.url}/`, fsync: false },
    az: { name: 'az', url: 'azure://box?account=devstoreaccount1&endpoint=http://127.0.0.1:9/devstoreaccount1' },
    unset: { name: 'unset', protocol: 'local', root: '${UFS_TEST_NEVER_SET}' },
    orphan: { name: 'orphan', path: 'nowhere:x' },
    pub: { name: 'pub', path: 'site:pub' },
    sftpwww: { name: 'sftpwww', path: 'sftp:www' },
    arch: { name: 'arch', protocol: 'zip', archive: 'sftp:a.zip' },
  };
  expected.sftp = await configureError([mounts.sftp!]);
  expected.az = await configureError([mounts.az!]);
  expected.sftpwww = await configureError([mounts.sftp!, mounts.sftpwww!]);
  expected.arch = await configureError([mounts.sftp!, mounts.arch!]);
});
afterAll(async () => {
  await web.stop();
  await cleanup();
});

describe('mount provider: only the target mount (and what it is built on) is opened', () => {
  it('the broken mounts are really broken (the errors the storage manager gives)', async () => {
    expect(expected.sftp).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(expected.sftp!.message).toMatch(/^mount "sftp": cannot read "privateKeyPath"/);
    expect(expected.az).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(expected.az!.message).toMatch(/needs accountKey/);
    // Built on the broken sftp mount: its error.
    expect(expected.sftpwww).toEqual(expected.sftp);
    expect(expected.arch).toEqual(expected.sftp);
    // The whole list cannot be configured at all.
    expect((await configureError(list())).code).toBe('CONFIG_INVALID');
  });

  it('uploads to a good target beside them (options), and to a relative mount on it', async () => {
    const file = await randomFile(dir, 'good.txt', 3000);
    const result = await uploadFile(file.path, opts('site:drops'));
    expect(result).toMatchObject({ provider: 'mount', verified: true, deleteToken: 'site:drops/good.txt' });
    expect(result.url).toBe(`${web.url}/drops/good.txt`);
    expect((await readFile(join(root, 'drops/good.txt'))).equals(file.bytes)).toBe(true);

    const relative = await randomFile(dir, 'rel.txt', 2000);
    const viaPub = await uploadFile(relative.path, opts('pub:in'));
    expect(viaPub).toMatchObject({ verified: true, deleteToken: 'pub:in/rel.txt' });
    expect((await readFile(join(root, 'pub/in/rel.txt'))).equals(relative.bytes)).toBe(true);
    expect((await download(viaPub.url)).bytes.equals(relative.bytes)).toBe(true);
  });

  it('uploads with the list in a UFS_MOUNTS file and the target in UFS_MOUNT_TARGET', async () => {
    const mountsFile = join(dir, 'mounts.yaml');
    await writeFile(
      mountsFile,
      `mounts:\n${list()
        .map((m) => `  - ${JSON.stringify(m)}\n`)
        .join('')}`,
    );
    const file = await randomFile(dir, 'env.txt');
    const env = { UFS_MOUNTS: mountsFile, UFS_MOUNT_TARGET: 'site:from-env' };
    const result = await uploadFile(file.path, { providers: ['mount'], env, retry: FAST_RETRY });
    expect(result.url).toBe(`${web.url}/from-env/env.txt`);
    expect(result.verified).toBe(true);
    expect(await providerStatus('mount', env)).toMatchObject({ ready: true });
  });

  it('deletes an uploaded file with the broken mounts beside its mount', async () => {
    const file = await randomFile(dir, 'gone.txt');
    const result = await uploadFile(file.path, opts('site:del'));
    const provider = await loadProvider('mount');
    await provider.delete!(result, { env: {}, mounts: list(), target: 'site:del' });
    expect(existsSync(join(root, 'del/gone.txt'))).toBe(false);
  });

  it.each([
    ['the broken sftp mount', 'sftp:up', 'sftp'],
    ['the azure mount without a key', 'az:up', 'az'],
    ['a relative mount on the broken sftp mount', 'sftpwww:up', 'sftpwww'],
    ['a zip mount whose archive is on the broken sftp mount', 'arch:up', 'arch'],
  ])('a target on %s fails with its error (CONFIG_INVALID)', async (_what, target, mount) => {
    const file = await randomFile(dir, `to-${mount}.txt`);
    const error = await ufsFailure(uploadFile(file.path, opts(target)));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`[ufs] [mount] upload "to-${mount}.txt": ${expected[mount]!.message}`);
  });

  it('a target on no configured mount names every configured mount, broken ones included', async () => {
    const file = await randomFile(dir, 'none.txt');
    const error = await ufsFailure(uploadFile(file.path, opts('nope:x')));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(
      'no mount named "nope" (target); mounts: arch, az, orphan, pub, sftp, sftpwww, site, unset',
    );
  });

  it('status reports the target only: ready beside broken mounts, else the error of the target (or its base)', async () => {
    const status = (target: string) => providerStatus('mount', {}, { mounts: list(), target });
    expect(await status('site:x')).toMatchObject({ ready: true });
    expect(await status('pub:x')).toMatchObject({ ready: true });
    const help = 'fix the mounts configuration (providerOptions.mount.mounts, or the file UFS_MOUNTS names)';
    expect(await status('sftp:x')).toMatchObject({ ready: false, reason: expected.sftp!.message, help });
    expect(await status('az:x')).toMatchObject({ ready: false, reason: expected.az!.message, help });
    expect(await status('sftpwww:x')).toMatchObject({ ready: false, reason: expected.sftp!.message, help });
    expect(await status('nope:x')).toMatchObject({
      ready: false,
      reason: 'no mount named "nope" (target); mounts: arch, az, orphan, pub, sftp, sftpwww, site, unset',
    });
  });

  it('a list that is itself unusable (an entry without a valid name) still fails every target', async () => {
    const file = await randomFile(dir, 'bad-list.txt');
    const bad = { ...opts('site:x') };
    bad.providerOptions = { mount: { mounts: [...list(), { protocol: 'local', root }], target: 'site:x' } };
    const error = await ufsFailure(uploadFile(file.path, bad));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('every mount needs a "name"');
  });
});
