import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { sandbox, ufs } from './helpers/ufs.js';

let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let fileA: string;
let fileB: string;
const bytesA = randomBytes(50_000);

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fetchBytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  env = { ...box.env, ...fake.env };
  fileA = join(box.dir, 'a.bin');
  fileB = join(box.dir, 'b.txt');
  await writeFile(fileA, bytesA);
  await writeFile(fileB, 'hello from b\n');
});
afterAll(async () => {
  await fake.close();
  await box.cleanup();
});
beforeEach(() => {
  fake.mode.catbox = 'ok';
  fake.mode['0x0'] = 'ok';
});

describe('ufs upload', () => {
  it('prints only the URL on stdout, and the URL serves the same bytes', async () => {
    const run = await ufs(['upload', '--provider', 'catbox', fileA], { env });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${fake.url}/catbox/f/\\w+\\.bin$`));
    expect(sha(await fetchBytes(lines[0]!))).toBe(sha(bytesA));
  });

  it('gives structured results with --json, one per file in order', async () => {
    const run = await ufs(['upload', '-p', '0x0,catbox', '--json', fileA, fileB], { env });
    expect(run.status).toBe(0);
    const items = run.json<Array<Record<string, unknown>>>();
    expect(items.map((i) => [i.path, i.ok, i.provider, i.verified])).toEqual([
      [fileA, true, '0x0', true],
      [fileB, true, '0x0', true],
    ]);
    expect(items[0]).toMatchObject({ size: bytesA.length, sha256: sha(bytesA) });
    expect(typeof items[0]!.deleteToken).toBe('string');
  });

  it('falls back to the next provider and says why on stderr', async () => {
    fake.mode['0x0'] = 'error500';
    const run = await ufs(['upload', '-p', '0x0', '-p', 'catbox', '--retries', '1', fileB], { env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/\/catbox\/f\//);
    expect(run.stderr).toMatch(/0x0: failed: .*HTTP 500/);
  });

  it('--fragile stops at the first failure: an empty line on stdout, one line on stderr, status from the code', async () => {
    fake.mode['0x0'] = 'error500';
    const run = await ufs(['upload', '-p', '0x0,catbox', '--fragile', '--retries', '1', fileB], { env });
    expect(run.status).toBe(69); // UNAVAILABLE
    expect(run.stdout).toBe('\n');
    const last = run.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^\[ufs\] upload ".*b\.txt": failed on 0x0 \(fragile: no fallback\): 0x0: .*HTTP 500/);
  });

  it('a corrupted upload is an INTEGRITY failure (65); --no-verify accepts it', async () => {
    fake.mode.catbox = 'corrupt';
    const run = await ufs(['upload', '-p', 'catbox', '--retries', '1', fileB], { env });
    expect(run.status).toBe(65);
    expect(run.stdout).toBe('\n');
    const unverified = await ufs(['upload', '-p', 'catbox', '--no-verify', '--json', fileB], { env });
    expect(unverified.status).toBe(0);
    expect(unverified.json<Array<{ verified: boolean; verifySkipped: string }>>()[0]).toMatchObject({
      verified: false,
      verifySkipped: 'verification is turned off',
    });
  });

  it('a single-download service is not verified: the URL alone on stdout, a note on stderr saying why', async () => {
    const run = await ufs(['upload', '-p', 'sendit', fileB], { env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${fake.url}/sendit/\\w+/b\\.txt\\n$`));
    expect(run.stderr.trim().split('\n')).toEqual([
      'sendit: not verified: sendit.sh serves the link once: downloading it to verify would use it up',
    ]);
    // The link was left unused: its one download serves the bytes.
    expect((await fetchBytes(run.stdout.trim())).toString()).toBe('hello from b\n');
    // Verification turned off on purpose needs no note.
    const off = await ufs(['upload', '-p', 'sendit', '--no-verify', fileB], { env });
    expect(off.status).toBe(0);
    expect(off.stderr).toBe('');
  });

  it('a permanent 400 is not retried and exits 76 (the service refused); --verbose shows code and context', async () => {
    fake.mode.catbox = 'error400';
    const before = fake.uploads.length;
    const run = await ufs(['upload', '-p', 'catbox', '--verbose', fileB], { env });
    expect(run.status).toBe(76);
    expect(run.stderr).toContain('code: INVALID_INPUT');
    expect(run.stderr).toContain('HTTP 400');
    expect(fake.uploads.length).toBe(before); // the fake stores nothing on 400
  });

  it('takes providers from the config file, then UFS_PROVIDERS, then the flag', async () => {
    await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
    await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), 'upload:\n  providers: [0x0]\n');
    const explicit = join(box.dir, 'other.yaml');
    await writeFile(explicit, 'providers: catbox\n');
    const [fromConfig, fromEnv, fromFlag, fromFile] = await Promise.all([
      ufs(['upload', '--json', fileB], { env }),
      ufs(['upload', '--json', fileB], { env: { ...env, UFS_PROVIDERS: 'catbox' } }),
      ufs(['upload', '--json', '-p', '0x0', fileB], { env: { ...env, UFS_PROVIDERS: 'catbox' } }),
      ufs(['upload', '--json', '--config', explicit, fileB], { env }),
    ]);
    expect(fromConfig.json<Array<{ provider: string }>>()[0]!.provider).toBe('0x0');
    expect(fromEnv.json<Array<{ provider: string }>>()[0]!.provider).toBe('catbox');
    expect(fromFlag.json<Array<{ provider: string }>>()[0]!.provider).toBe('0x0');
    expect(fromFile.json<Array<{ provider: string }>>()[0]!.provider).toBe('catbox');
  });

  it('refuses an unknown provider naming the known ones (64 from -p, 78 from the config), and a broken config file', async () => {
    const configured = join(box.dir, 'nope.yaml');
    await writeFile(configured, 'providers: nope\n');
    const bad = join(box.dir, 'bad.yaml');
    await writeFile(bad, 'mounts: 3\nwhat: ever\n');
    const [run, fromConfig, broken] = await Promise.all([
      ufs(['upload', '-p', 'nope', fileB], { env }),
      ufs(['upload', '--config', configured, fileB], { env }),
      ufs(['upload', '--config', bad, fileB], { env }),
    ]);
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(/unknown provider "nope".*known providers: catbox, litterbox, 0x0/);
    expect(fromConfig.status).toBe(78);
    expect(fromConfig.stderr).toMatch(/unknown provider "nope"/);
    expect(broken.status).toBe(78);
    expect(broken.stderr.trim()).toMatch(/^\[ufs\] config ".*bad\.yaml": .*what/);
  });

  it('several files: one stdout line per file in order, an empty one for a failure (named on stderr)', async () => {
    const missing = join(box.dir, 'missing.txt');
    const run = await ufs(['upload', '-p', 'catbox', missing, fileB, missing, fileA], { env });
    expect(run.status).toBe(66); // NOT_FOUND
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(5); // four lines, each ended by a newline
    expect(lines[0]).toBe('');
    expect(lines[1]).toMatch(/\/catbox\/f\/\w+\.txt$/);
    expect(lines[2]).toBe('');
    expect(lines[3]).toMatch(/\/catbox\/f\/\w+\.bin$/);
    expect(sha(await fetchBytes(lines[3]!))).toBe(sha(bytesA));
    expect(run.stderr.split('\n').filter((l) => l.includes(`"${missing}"`))).toHaveLength(2);
    expect(run.stderr).toContain('2 of 4 uploads failed');
  });

  it('--json always prints the array of items and sets the status, for one file too', async () => {
    fake.mode.catbox = 'error400';
    const one = await ufs(['upload', '-p', 'catbox', '--json', fileB], { env });
    expect(one.status).toBe(76);
    const [item] = one.json<Array<{ path: string; ok: boolean; error: { code: string; message: string } }>>();
    expect(item).toMatchObject({ path: fileB, ok: false, error: { code: 'INVALID_INPUT' } });
    expect(item!.error.message).toContain('HTTP 400');
    fake.mode.catbox = 'ok';
    const missing = join(box.dir, 'missing.txt');
    const two = await ufs(['upload', '-p', 'catbox', '--json', missing, fileB], { env });
    expect(two.status).toBe(66);
    expect(two.json<Array<{ path: string; ok: boolean }>>().map((i) => [i.path, i.ok])).toEqual([
      [missing, false],
      [fileB, true],
    ]);
    // An error that is not about one file keeps the documented shape: {error: {…, exitCode}}.
    const badFlag = await ufs(['upload', '--json', '--concurrency', '0', fileB], { env });
    expect(badFlag.status).toBe(64);
    expect(badFlag.json<{ error: { code: string; exitCode: number } }>().error).toMatchObject({
      code: 'INVALID_INPUT',
      exitCode: 64,
    });
  });

  it('--timeout and --idle-timeout are at most 2147483 s (the longest Node.js timer): more is a usage error', async () => {
    const uploads = fake.uploads.length;
    const flags = ['--timeout', '--idle-timeout'];
    const runs = await Promise.all(
      flags.map((flag) => ufs(['upload', '-p', 'catbox', flag, '2147484', fileB], { env })),
    );
    for (const [i, flag] of flags.entries()) {
      const run = runs[i]!;
      expect(run.status).toBe(64);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(
        `[ufs] Parsing ${flag} Expected whole seconds from ${flag === '--timeout' ? 1 : 0} to 2147483 (about 24.8 days, the longest timer Node.js can set) but received: 2147484`,
      );
    }
    expect(fake.uploads).toHaveLength(uploads); // refused before anything was sent
    // The bound itself waits as asked: the upload goes through, no immediate TIMEOUT from an overflowing timer.
    const ok = await ufs(['upload', '-p', 'catbox', '--timeout', '2147483', '--idle-timeout', '2147483', fileB], {
      env,
    });
    expect(ok.status).toBe(0);
    expect(ok.stderr).not.toContain('TimeoutOverflowWarning');
  });

  it('"-" uploads stdin (spooled to a temporary file, removed afterwards) with retry and verification', async () => {
    const input = randomBytes(300_000);
    fake.mode['0x0'] = 'error500';
    const run = await ufs(['upload', '-p', '0x0,catbox', '--retries', '2', '--json', '-'], {
      env: { ...env, TMPDIR: box.dir },
      input,
    });
    expect(run.status).toBe(0);
    const [item] = run.json<Array<{ path: string; provider: string; verified: boolean; url: string }>>();
    expect(item).toMatchObject({ path: '-', provider: 'catbox', verified: true });
    expect(sha(await fetchBytes(item!.url))).toBe(sha(input));
    expect(run.stderr).toMatch(/0x0: retrying in \d+ ms/);
    expect((await readdir(box.dir)).filter((name) => name.startsWith('ufs-stdin-'))).toEqual([]);
    // A failure names it as "-", not by the temporary file.
    fake.mode.catbox = 'error400';
    const failed = await ufs(['upload', '-p', 'catbox', '-'], { env: { ...env, TMPDIR: box.dir }, input: 'x' });
    expect(failed.status).toBe(76);
    expect(failed.stderr).toMatch(/^\[ufs\] upload "-": /m);
    expect(failed.stderr).not.toContain('ufs-stdin-');
    const twice = await ufs(['upload', '-', '-'], { env, input: 'x' });
    expect(twice.status).toBe(64);
  });

  it('a retried verification download is shown like an upload retry', async () => {
    fake.mode.catbox = 'verify503once';
    const run = await ufs(['upload', '-p', 'catbox', fileB], { env });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^catbox: retrying the verification in \d+ ms: .*verify .*HTTP 503/m);
  });

  it('many files at once print no MaxListenersExceededWarning', async () => {
    const many = await Promise.all(
      Array.from({ length: 14 }, async (_, i) => {
        const path = join(box.dir, `many-${i}.txt`);
        await writeFile(path, `file ${i}\n`);
        return path;
      }),
    );
    const run = await ufs(['upload', '-p', 'catbox', '-c', '12', ...many], { env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(14);
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
  });

  it('skips providers that cannot choose expiry', async () => {
    const run = await ufs(['upload', '-p', 'catbox', '--expire', '24h', fileB], { env });
    expect(run.status).toBe(69); // UNSUPPORTED
    expect(run.stderr).toMatch(/no provider can take this file: catbox: cannot choose expiry 24h/);
    const ok = await ufs(['upload', '-p', 'catbox,0x0', '--expire', '24h', '--json', fileB], { env });
    expect(ok.status).toBe(0);
    const item = ok.json<Array<{ provider: string; expiresAt: string }>>()[0]!;
    expect(item.provider).toBe('0x0');
    expect(fake.uploads.at(-1)!.fields.expires).toBe('24');
  });
});
