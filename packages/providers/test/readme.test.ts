import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUfsError } from '@org/core';
import {
  checkOnline,
  knownProviders,
  providerStatus,
  providerStatuses,
  uploadFile,
  uploadFiles,
} from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { adminClient, freshBucket, radosgw } from './fakes/s3-harness.js';
import { randomFile, sparseFile, tempDir } from './helpers.js';

// The README's examples, verbatim inside each test, run against the local servers: the environment points every
// provider's base URL at its fake (as a user would point them at a mirror), and the working folder holds the files.
const harnesses: Harness[] = [];
let dir: string;
let cleanup: () => Promise<void>;
let removeBucket: () => Promise<void>;
const savedEnv = { ...process.env };
const fieldsOf = (id: string) => harnesses.find((h) => h.id === id)!.fake.lastFields;
const savedCwd = process.cwd();

beforeAll(async () => {
  for (const id of ['catbox', '0x0', 'x0at', 'litterbox', 'tempsh', 'filebin', 'tmpfilelink', 'uguu', 'tmpfiles']) {
    const h = await HARNESSES[id]!();
    harnesses.push(h);
    Object.assign(process.env, h.env);
  }
  const admin = adminClient();
  const rgw = radosgw();
  const bucket = await freshBucket(admin);
  removeBucket = async () => {
    await bucket.remove();
    admin.destroy();
  };
  Object.assign(process.env, {
    AWS_S3_BUCKET: bucket.bucket,
    AWS_ENDPOINT_URL: rgw.endpoint,
    AWS_S3_PATH_STYLE: 'true',
    AWS_DEFAULT_REGION: rgw.region,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
  });
  delete process.env.UFS_PROVIDERS;
  delete process.env.UFS_CONFIG;
  delete process.env.PIXELDRAIN_API_KEY;
  ({ dir, cleanup } = await tempDir('ufs-readme-'));
  process.chdir(dir);
  for (const name of ['photo.jpg', 'report.pdf', 'a.png', 'b.png', 'c.png', 'build.tar.gz'])
    await randomFile(dir, name, 5000);
  await sparseFile(dir, 'big.iso', 600 * 1024 * 1024);
});
afterAll(async () => {
  process.chdir(savedCwd);
  process.env = savedEnv;
  await Promise.all(harnesses.map((h) => h.stop()));
  await removeBucket();
  await cleanup();
});

describe('README examples', () => {
  it('basic upload', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // --- README ---
    const result = await uploadFile('photo.jpg');
    console.log(result.url); // downloaded and compared by SHA-256 before it is returned
    // --- end ---
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//));
    expect(result).toMatchObject({ provider: 'catbox', verified: true });
    log.mockRestore();
  });

  it('order, expiry, progress and events', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // --- README ---
    const result = await uploadFile('report.pdf', {
      providers: ['litterbox', '0x0'], // tried in this order
      expire: '24h', // providers that cannot choose expiry are skipped, with the reason
      timeoutMs: 600_000, // per request (each upload attempt, each verification download)
      onProgress: ({ phase, loaded, total }) => process.stderr.write(`${phase} ${loaded}/${total}\r`),
      onEvent: (event) => {
        if (event.type === 'failure') process.stderr.write(`${event.provider} failed: ${event.error.message}\n`);
      },
    });
    console.log(result.url, result.expiresAt);
    // --- end ---
    expect(result.provider).toBe('litterbox');
    expect(stderr).toHaveBeenCalledWith('upload 5000/5000\r');
    expect(stderr).toHaveBeenCalledWith('verify 5000/5000\r');
    expect(log).toHaveBeenCalledWith(result.url, expect.any(Date));
    stderr.mockRestore();
    log.mockRestore();
  });

  it('errors', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    // --- README ---
    try {
      await uploadFile('big.iso', { providers: ['catbox', 'x0at'] });
    } catch (err) {
      if (!isUfsError(err)) throw err;
      console.error(err.code); // e.g. TOO_LARGE when both limits are below the file's size
      console.error(err.message); // [ufs] upload "big.iso": no provider can take this file:\n  - catbox: file is …
    }
    // --- end ---
    expect(error).toHaveBeenCalledWith('TOO_LARGE');
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^\[ufs\] upload "big.iso": no provider can take this file:\n {2}- catbox: file is/),
    );
    error.mockRestore();
  });

  it('many files', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    // --- README ---
    const items = await uploadFiles(['a.png', 'b.png', 'c.png'], { concurrency: 2 });
    for (const item of items) {
      if (item.ok) console.log(item.path, item.result.url);
      else console.error(item.path, item.error.message);
    }
    // --- end ---
    expect(log).toHaveBeenCalledTimes(3);
    expect(error).not.toHaveBeenCalled();
    log.mockRestore();
    error.mockRestore();
  });

  it('S3 with provider options', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // --- README ---
    const result = await uploadFile('build.tar.gz', {
      providers: ['s3'],
      providerOptions: { s3: { prefix: 'builds/', unique: true } },
    });
    console.log(result.url); // presigned GET URL, valid 24 h
    // --- end ---
    expect(result.url).toMatch(/\/builds\/build\.tar-[0-9a-f]{8}\.gz\?.*X-Amz-Expires=86400/);
    expect(result.verified).toBe(true);
    log.mockRestore();
  });

  it('config file (YAML) and UFS_PROVIDERS', async () => {
    const yaml = `# ~/.config/ufs/upload.yaml — use with UFS_CONFIG=~/.config/ufs/upload.yaml or { configFile }
providers: [litterbox, 0x0] # both can keep a file 72 h (catbox, tempsh… cannot choose: they would be skipped)
expire: 72h
verify: true
fragile: false
timeoutMs: 600000
maxAttempts: 3
concurrency: 3
providerOptions:
  s3: { prefix: shared/, unique: true }
`;
    await writeFile(join(dir, 'upload.yaml'), yaml);
    process.env.UFS_CONFIG = join(dir, 'upload.yaml');
    try {
      // expire: 72h: both providers can keep the file that long, so the first one takes it, for 72 h.
      const started = Date.now();
      const fromFile = await uploadFile('photo.jpg');
      expect(fromFile.provider).toBe('litterbox');
      expect(fromFile.report.map((r) => `${r.provider}:${r.outcome}`)).toEqual(['litterbox:success']);
      expect(fieldsOf('litterbox').time).toBe('72h');
      expect(fromFile.expiresAt!.getTime() - started).toBeGreaterThanOrEqual(72 * 3_600_000 - 1000);
      expect(fromFile.expiresAt!.getTime() - started).toBeLessThan(72 * 3_600_000 + 60_000);
      // UFS_PROVIDERS=0x0,catbox overrides the file's providers (catbox cannot keep it 72 h: skipped).
      process.env.UFS_PROVIDERS = '0x0,catbox';
      const fromEnv = await uploadFile('photo.jpg');
      expect(fromEnv.provider).toBe('0x0');
      expect(fieldsOf('0x0').expires).toBe('72');
      expect((await uploadFile('photo.jpg', { providers: ['0x0'] })).provider).toBe('0x0');
    } finally {
      delete process.env.UFS_CONFIG;
      delete process.env.UFS_PROVIDERS;
    }
  });

  it('registry and status', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // --- README ---
    console.log(knownProviders()); // ['catbox', 'litterbox', '0x0', …] — the checked-in registry (src/registry.ts)
    for (const status of await providerStatuses()) {
      console.log(status.id, status.ready ? 'ready' : `not ready: ${status.reason} (${status.help})`);
    }
    const pixeldrain = await providerStatus('pixeldrain'); // { ready: false, reason: 'PIXELDRAIN_API_KEY is not set …', help: 'create an API key at …' }
    const check = await checkOnline('0x0'); // uploads a small file, verifies it, deletes it where possible; never throws
    console.log(pixeldrain.ready, check.ok ? check.result?.url : check.error?.message);
    // --- end ---
    expect(log).toHaveBeenCalledWith('catbox', 'ready');
    expect(log).toHaveBeenCalledWith(
      'pixeldrain',
      expect.stringMatching(/^not ready: PIXELDRAIN_API_KEY is not set .*\(create an API key at/),
    );
    expect(log).toHaveBeenLastCalledWith(false, expect.stringMatching(/^http:/));
    expect(check.deleted).toBe(true);
    log.mockRestore();
  });
});
