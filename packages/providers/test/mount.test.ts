import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ufsFailure } from '@org/core/testing';
import { StorageManager } from '@org/storage';
import { fileSource, loadProvider, providerStatus, uploadFile, type UploadFileOptions } from '../src/index.js';
import { adminClient, freshBucket, radosgw } from './fakes/s3-harness.js';
import { s3Mount, staticServer } from './fakes/mount-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The mount provider: a `local` mount whose `baseUrl` is served by a small static web server (so public URLs
// really serve bytes), and S3 mounts on the real radosgw (presigned URLs, public URL base, delete).
let dir: string;
let root: string;
let cleanup: () => Promise<void>;
let web: Awaited<ReturnType<typeof staticServer>>;
let admin: S3Client;
let bucket: string;
let removeBucket: () => Promise<void>;

const MiB = 1024 ** 2;
const localMount = (extra: Record<string, unknown> = {}) => ({
  name: 'site',
  protocol: 'local',
  root,
  baseUrl: `${web.url}/`,
  fsync: false,
  ...extra,
});
const opts = (mount: Record<string, unknown> = {}, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['mount'],
  env: {},
  retry: FAST_RETRY,
  providerOptions: { mount: { mounts: [localMount()], target: 'site:pub/files', ...mount } },
  ...extra,
});

async function s3Exists(key: string): Promise<boolean> {
  return admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ufs-mount-'));
  root = join(dir, 'root');
  web = await staticServer(root);
  admin = adminClient();
  ({ bucket, remove: removeBucket } = await freshBucket(admin));
});
afterAll(async () => {
  await web.stop();
  await removeBucket();
  admin.destroy();
  await cleanup();
});

describe('mount provider: local mount with a public baseUrl', () => {
  it('streams the file into the folder and returns the public URL, which the web server really serves', async () => {
    const file = await randomFile(dir, 'report 2024.pdf', 50_000);
    const result = await uploadFile(file.path, opts());
    expect(result.verified).toBe(true);
    expect(result.url).toBe(`${web.url}/pub/files/report%202024.pdf`);
    expect(result.deleteToken).toBe('site:pub/files/report 2024.pdf');
    expect(result.expiresAt).toBeUndefined();
    expect(web.gets).toContain('/pub/files/report 2024.pdf'); // the verification download went to the web server
    expect((await readFile(join(root, 'pub/files/report 2024.pdf'))).equals(file.bytes)).toBe(true);
    expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
  });

  it('unique names never collide: a random suffix before the extension, or a random folder keeping the name', async () => {
    const first = await randomFile(dir, 'same.txt', 100);
    const a = await uploadFile(first.path, opts({ unique: true }));
    const second = await randomFile(dir, 'same.txt', 100);
    const b = await uploadFile(second.path, opts({ unique: true }));
    expect(a.url).toMatch(/\/pub\/files\/same-[0-9a-f]{8}\.txt$/);
    expect(b.url).not.toBe(a.url);
    expect((await download(a.url)).bytes.equals(first.bytes)).toBe(true);
    expect((await download(b.url)).bytes.equals(second.bytes)).toBe(true);
    const c = await uploadFile(second.path, opts({ unique: 'prefix' }));
    expect(c.url).toMatch(/\/pub\/files\/[0-9a-f]{8}\/same\.txt$/);
  });

  it('ifNotExists refuses to replace a file (ALREADY_EXISTS, not retried) and leaves it as it was', async () => {
    const file = await randomFile(dir, 'keep.txt', 200);
    await uploadFile(file.path, opts({ ifNotExists: true }));
    const other = await randomFile(dir, 'other.bin', 200);
    const error = await ufsFailure(uploadFile(other.path, opts({ ifNotExists: true }, { filename: 'keep.txt' })));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.context.failures).toEqual([expect.objectContaining({ provider: 'mount', attempts: 1 })]);
    expect((await readFile(join(root, 'pub/files/keep.txt'))).equals(file.bytes)).toBe(true);
  });

  it('refuses before writing when the mount cannot give the URL asked for', async () => {
    const file = await randomFile(dir, 'nowhere.txt');
    const presigned = await ufsFailure(uploadFile(file.path, opts({ urlMode: 'presigned', target: 'site:a' })));
    expect(presigned.code).toBe('UNSUPPORTED');
    expect(presigned.message).toMatch(/mount "site" \(local\) cannot presign URLs: use urlMode public/);
    const noBase = await ufsFailure(
      uploadFile(file.path, opts({ mounts: [localMount({ baseUrl: undefined })], target: 'site:b' })),
    );
    expect(noBase.message).toMatch(/gives no URLs/);
    const expiring = await ufsFailure(uploadFile(file.path, opts({ target: 'site:c' }, { expire: '1h' })));
    expect(expiring.code).toBe('INVALID_INPUT');
    expect(expiring.message).toMatch(/expire applies to presigned URLs/);
    for (const folder of ['a', 'b', 'c']) expect(existsSync(join(root, folder))).toBe(false);
  });

  it('errors name the provider and the mount: unknown mount, readonly mount, bad target', async () => {
    const file = await randomFile(dir, 'err.txt');
    const provider = await loadProvider('mount');
    const unknown = await ufsFailure(
      provider.upload(await fileSource(file.path), { mounts: [localMount()], target: 'nope:x' }),
    );
    expect(unknown.code).toBe('CONFIG_INVALID');
    expect(unknown.message).toMatch(
      /^\[ufs\] \[mount\] upload "err.txt": no mount named "nope" \(target\); mounts: site$/,
    );
    const readonly = await ufsFailure(
      uploadFile(file.path, opts({ mounts: [localMount({ permissions: 'readonly' })] })),
    );
    expect(readonly.code).toBe('PERMISSION_DENIED');
    expect(readonly.message).toMatch(/mount: \[ufs\] \[mount\] upload "err.txt": \[local\] write "site:.*readonly/);
    const traversal = await ufsFailure(uploadFile(file.path, opts({ target: 'site:../up' })));
    expect(traversal.code).toBe('CONFIG_INVALID');
  });

  it('deletes the file through node.delete', async () => {
    const file = await randomFile(dir, 'gone.txt');
    const result = await uploadFile(file.path, opts());
    const provider = await loadProvider('mount');
    await provider.delete!(result, { mounts: [localMount()], target: 'site:pub/files' });
    expect(existsSync(join(root, 'pub/files/gone.txt'))).toBe(false);
    expect((await download(result.url)).status).toBe(404);
  });

  it('streams: 256 MiB through node.write and back through verification with flat memory (RSS growth < 100 MiB)', async () => {
    const path = join(dir, 'big.bin');
    const handle = await open(path, 'w');
    await handle.truncate(256 * MiB);
    for (let offset = 0; offset < 256 * MiB; offset += 32 * MiB) await handle.write(`block ${offset}\n`, offset);
    await handle.close();
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let uploaded = 0;
    try {
      const result = await uploadFile(
        path,
        opts({}, { onProgress: (e) => e.phase === 'upload' && (uploaded = e.loaded) }),
      );
      expect(result.verified).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - baseline) / MiB;
    process.stderr.write(`mount: 256 MiB upload + verify, RSS growth ${growth.toFixed(1)} MiB\n`);
    expect(uploaded).toBe(256 * MiB);
    expect(growth).toBeLessThan(100);
  }, 60_000);
});

describe('mount provider: S3 mount on radosgw', () => {
  const s3 = (extra: Record<string, unknown> = {}) => s3Mount('bucket', bucket, radosgw().endpoint, extra);

  it('presigned URL (default where the mount signs): lives `expire`, serves the bytes; a tampered one is refused', async () => {
    const file = await randomFile(dir, 'signed.bin', 30_000);
    const started = Date.now();
    const result = await uploadFile(file.path, opts({ mounts: [s3()], target: 'bucket:shared' }, { expire: '1h' }));
    expect(result.verified).toBe(true); // the orchestrator downloaded the presigned URL and compared SHA-256
    expect(new URL(result.url).searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(result.expiresAt!.getTime()).toBeGreaterThanOrEqual(started + 3_600_000 - 1000);
    expect(result.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
    const tampered = new URL(result.url);
    tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect((await download(tampered.href)).status).toBe(403);
    expect(await s3Exists('shared/signed.bin')).toBe(true);
  });

  it('expiresIn sets the default lifetime (seconds or a duration)', async () => {
    const file = await randomFile(dir, 'short.bin');
    const a = await uploadFile(file.path, opts({ mounts: [s3()], target: 'bucket:x', expiresIn: 600 }));
    expect(new URL(a.url).searchParams.get('X-Amz-Expires')).toBe('600');
    const b = await uploadFile(file.path, opts({ mounts: [s3()], target: 'bucket:x', expiresIn: '2h' }));
    expect(new URL(b.url).searchParams.get('X-Amz-Expires')).toBe('7200');
  });

  it('public URLs come from the mount’s publicBaseUrl; without one, urlMode public is refused before writing', async () => {
    const file = await randomFile(dir, 'public.bin');
    const refused = await ufsFailure(
      uploadFile(file.path, opts({ mounts: [s3()], target: 'bucket:p', urlMode: 'public' })),
    );
    expect(refused.code).toBe('UNSUPPORTED');
    expect(refused.message).toMatch(/mount "bucket" \(s3\) has no public URL/);
    expect(await s3Exists('p/public.bin')).toBe(false);
    const result = await uploadFile(
      file.path,
      opts(
        { mounts: [s3({ publicBaseUrl: 'https://cdn.example.com/b' })], target: 'bucket:p', urlMode: 'public' },
        { verify: false },
      ),
    );
    expect(result.url).toBe('https://cdn.example.com/b/p/public.bin');
    expect(await s3Exists('p/public.bin')).toBe(true);
  });

  it('delete removes the object; the presigned URL then answers 404', async () => {
    const file = await randomFile(dir, 'remove-me.bin');
    const result = await uploadFile(file.path, opts({ mounts: [s3()], target: 'bucket:d' }));
    expect(result.deleteToken).toBe('bucket:d/remove-me.bin');
    await (
      await loadProvider('mount')
    ).delete!(result, { mounts: [s3()], target: 'bucket:d' });
    expect(await s3Exists('d/remove-me.bin')).toBe(false);
    expect((await download(result.url)).status).toBe(404);
  });
});

describe('mount provider: configuration', () => {
  it('README example', async () => {
    const saved = { ...process.env };
    const cwd = process.cwd();
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    Object.assign(process.env, { WWW_ROOT: join(root, 'www'), WWW_URL: `${web.url}/www/` });
    const file = await randomFile(dir, 'site.zip', 2000);
    process.chdir(dir);
    try {
      // --- README ---
      const result = await uploadFile('site.zip', {
        providers: ['mount'],
        providerOptions: {
          mount: {
            mounts: [{ name: 'www', protocol: 'local', root: '${WWW_ROOT}', baseUrl: '${WWW_URL}' }],
            target: 'www:drops/2024',
            unique: 'prefix',
          },
        },
      });
      console.log(result.url); // ${WWW_URL}/drops/2024/3f9a1c2b/site.zip, downloaded and compared before it is returned
      // --- end ---
      expect(result.verified).toBe(true);
      expect(log).toHaveBeenCalledWith(
        expect.stringMatching(new RegExp(`^${web.url}/www/drops/2024/[0-9a-f]{8}/site\\.zip$`)),
      );
      expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
    } finally {
      process.chdir(cwd);
      process.env = saved;
      log.mockRestore();
    }
  });

  it('reads mounts from the UFS_MOUNTS file (with ${VAR} from the env) and the target from UFS_MOUNT_TARGET', async () => {
    const mountsFile = join(dir, 'mounts.yaml');
    await writeFile(
      mountsFile,
      `mounts:\n  - name: web\n    protocol: local\n    root: \${SITE_ROOT}\n    baseUrl: ${web.url}/\n`,
    );
    const env = { UFS_MOUNTS: mountsFile, UFS_MOUNT_TARGET: 'web:from-env', SITE_ROOT: root };
    const file = await randomFile(dir, 'env.txt');
    const result = await uploadFile(file.path, { providers: ['mount'], env, retry: FAST_RETRY });
    expect(result.url).toBe(`${web.url}/from-env/env.txt`);
    expect(result.verified).toBe(true);
  });

  it('reads everything from the providers config file (providerOptions.mount)', async () => {
    const configFile = join(dir, 'upload.json');
    const mount = { mounts: [localMount()], target: 'site:from-config', unique: 'prefix' };
    await writeFile(configFile, JSON.stringify({ providers: ['mount'], providerOptions: { mount } }));
    const file = await randomFile(dir, 'config.txt');
    const result = await uploadFile(file.path, { env: { UFS_CONFIG: configFile }, retry: FAST_RETRY });
    expect(result.provider).toBe('mount');
    expect(result.url).toMatch(new RegExp(`^${web.url}/from-config/[0-9a-f]{8}/config\\.txt$`));
  });

  it('uses a StorageManager the caller already has, and leaves it open', async () => {
    const storage = new StorageManager();
    await storage.configure([localMount({ name: 'mine' })]);
    const file = await randomFile(dir, 'mine.txt');
    const result = await uploadFile(file.path, opts({ storage, mounts: undefined, target: 'mine:own' }));
    expect(result.url).toBe(`${web.url}/own/mine.txt`);
    expect((await storage.node('mine:own/mine.txt').readBytes()).equals(file.bytes)).toBe(true);
    await storage.dispose();
  });

  it('status says what is missing (no mount is opened)', async () => {
    const status = (env: Record<string, string>, options: Record<string, unknown> = {}) =>
      providerStatus('mount', env, options);
    expect(await status({})).toMatchObject({ ready: false, reason: 'no mounts are configured' });
    expect(await status({ UFS_MOUNTS: '/nowhere.yaml' })).toMatchObject({ ready: false, reason: 'no target mount' });
    expect(
      (await status({ UFS_MOUNTS: '/m.yaml', UFS_MOUNT_TARGET: 'a:b', UFS_MOUNT_URL_MODE: 'cdn' })).reason,
    ).toMatch(/urlMode "cdn" must be "public" or "presigned"/);
    expect(await status({}, { mounts: [localMount()], target: 'site:x' })).toMatchObject({ ready: true });
  });
});
