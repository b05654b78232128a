import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageManager } from '@org/storage';
import { checkOnline, providerStatus, providerStatuses, uploadFile } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY } from './helpers.js';

let dir: string;
let x0: Harness;
/** Takes connections and reads what is sent, never answers. */
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-status-checks-'));
  x0 = await HARNESSES['0x0']!();
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined).on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await x0.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('checkOnline: a temporary folder that cannot be made', () => {
  // (TMPDIR itself is read by Node from the real environment, which a jest test cannot change: the CLI's tests set it.)
  it('is in the answer (CONFIG_INVALID naming the folder, the setting and why), not thrown', async () => {
    const missing = join(dir, 'nope');
    const check = await checkOnline('0x0', { env: x0.env, retry: FAST_RETRY, tempDir: missing });
    expect(check.ok).toBe(false);
    expect(check.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: `[ufs] [0x0] not checked: cannot make a temporary folder in "${missing}" (option tempDir): no such file or directory (ENOENT)`,
    });
    expect(x0.fake.uploads).toBe(0);
  });

  it('the option tempDir: a file there is named too', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const check = await checkOnline('0x0', { env: x0.env, tempDir: file });
    expect(check.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(check.error!.message).toMatch(
      /^\[ufs\] \[0x0\] not checked: cannot make a temporary folder in ".*a-file" \(option tempDir\): not a (folder|directory)/,
    );
  });

  it('the check folder is made in tempDir and removed afterwards', async () => {
    const parent = await mkdtemp(join(dir, 'parent-'));
    const check = await checkOnline('0x0', { env: x0.env, retry: FAST_RETRY, tempDir: parent });
    expect(check.ok).toBe(true);
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('checkOnline: the reason of a failed check', () => {
  it("is the provider's reason, without the temporary path or the orchestrator's wording", async () => {
    const check = await checkOnline('0x0', { env: { UFS_0X0_URL: silentUrl }, timeoutMs: 400, maxAttempts: 1 });
    expect(check.error).toMatchObject({
      code: 'TIMEOUT',
      message: '[ufs] [0x0] check: no complete answer within 0.4 s',
    });
    x0.fake.fail(503, { times: 1 });
    const failed = await checkOnline('0x0', { env: x0.env, maxAttempts: 1 });
    x0.fake.reset();
    expect(failed.error!.code).toBe('UNAVAILABLE');
    expect(failed.error!.message).toMatch(/^\[ufs\] \[0x0\] check: HTTP 503/);
    expect(failed.error!.message).not.toMatch(/ufs-check-|fragile|\n/);
  });
});

describe('providerStatus(mount) runs the checks of the upload on its settings', () => {
  const target = { UFS_MOUNT_TARGET: 'www:drops' };
  const mountsFile = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const www = (extra: Record<string, unknown> = {}) => ({ name: 'www', protocol: 'local', root: dir, ...extra });

  /** The upload's refusal of the same settings (so status and upload say the same thing). */
  async function uploadRefusal(env: Record<string, string>): Promise<string> {
    const file = join(dir, 'q.txt');
    await writeFile(file, 'q\n');
    const failure = await uploadFile(file, { env, providers: ['mount'], maxAttempts: 1 }).then(
      () => 'uploaded',
      (err: Error) => err.message,
    );
    return failure;
  }

  it.each([
    ['a mounts file that does not exist', () => Promise.resolve(join(dir, 'missing.yaml')), 'cannot read config file'],
    ['a mounts file that is not YAML', () => mountsFile('bad.yaml', 'a: [\n'), 'is not valid YAML'],
    ['a mounts file that is a YAML list of words', () => mountsFile('list.yaml', '- a\n- b\n'), 'must be an object'],
  ])('%s: not ready, with the reason of the upload', async (_what, make, words) => {
    const env = { ...target, UFS_MOUNTS: await make() };
    const status = await providerStatus('mount', env);
    expect(status).toMatchObject({ ready: false, reason: expect.stringContaining(words) });
    expect(status.help).toContain('UFS_MOUNTS');
    expect(await uploadRefusal(env)).toContain(status.reason!);
  });

  it('a target on a mount that is not configured: not ready, "no mount named"', async () => {
    const file = await mountsFile('ok.yaml', `mounts:\n  - ${JSON.stringify(www({ baseUrl: 'http://x/' }))}\n`);
    const env = { UFS_MOUNTS: file, UFS_MOUNT_TARGET: 'nomount:x' };
    const status = await providerStatus('mount', env);
    expect(status).toMatchObject({ ready: false, reason: 'no mount named "nomount" (target); mounts: www' });
    expect(await uploadRefusal(env)).toContain(status.reason!);
    // The same from provider options (as a config file gives them), and with a manager of the caller's.
    expect(await providerStatus('mount', {}, { mounts: [www()], target: 'other:x' })).toMatchObject({
      ready: false,
      reason: 'no mount named "other" (target); mounts: www',
    });
    const storage = new StorageManager();
    try {
      await storage.configure([www({ baseUrl: 'http://x/' })]);
      expect((await providerStatus('mount', {}, { storage, target: 'nomount:x' })).ready).toBe(false);
      expect((await providerStatus('mount', {}, { storage, target: 'www:x' })).ready).toBe(true);
    } finally {
      await storage.dispose();
    }
    // Fine settings are ready.
    expect((await providerStatus('mount', { UFS_MOUNTS: file, UFS_MOUNT_TARGET: 'www:drops' })).ready).toBe(true);
  });

  it('a mount that gives no URL: not ready, as the upload refuses it', async () => {
    const env = { UFS_MOUNTS: await mountsFile('nourl.yaml', `- ${JSON.stringify(www())}\n`), ...target };
    const status = await providerStatus('mount', env);
    expect(status).toMatchObject({
      ready: false,
      reason: expect.stringContaining('mount "www" (local) gives no URLs'),
    });
    expect(await uploadRefusal(env)).toContain(status.reason!);
  });
});

describe('providerStatuses refuses provider options as uploadFile does', () => {
  it('an unknown provider id: INVALID_INPUT, the same message', async () => {
    const message = 'unknown provider "nope" in providerOptions; known providers: catbox';
    await expect(providerStatuses({}, { nope: {} })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(message),
    });
    await expect(
      uploadFile(join(dir, 'q.txt'), { env: {}, providers: ['0x0'], providerOptions: { nope: {} } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(message) });
  });

  it('an unknown option of a known provider: INVALID_INPUT naming it', async () => {
    await expect(providerStatuses({}, { s3: { prefx: 'a/' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('providerOptions.s3.prefx: unknown option'),
    });
  });
});
