import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { sandbox, ufs } from './helpers/ufs.js';

let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let file: string;

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  env = { ...box.env, ...fake.env };
  file = join(box.dir, 'b.txt');
  await writeFile(file, 'hello from b\n');
});
afterAll(async () => {
  await fake.close();
  await box.cleanup();
});
beforeEach(() => {
  fake.mode.catbox = 'ok';
  fake.mode['0x0'] = 'ok';
});

describe('ufs upload: a typed flag beats the config', () => {
  it('--verify wins over verify: false in the config file and in UFS_CONFIG', async () => {
    fake.mode.catbox = 'corrupt';
    const config = join(box.dir, 'no-verify.yaml');
    await writeFile(config, 'upload:\n  verify: false\n');
    // the config alone: not verified, the corrupt URL is taken
    const off = await ufs(['upload', '-p', 'catbox', '--config', config, file], { env });
    expect(off.status).toBe(0);
    for (const run of [
      await ufs(['upload', '-p', 'catbox', '--retries', '1', '--config', config, '--verify', file], { env }),
      await ufs(['upload', '-p', 'catbox', '--retries', '1', '--verify', file], {
        env: { ...env, UFS_CONFIG: config },
      }),
    ]) {
      expect(run.status).toBe(65); // INTEGRITY
      expect(run.stdout).toBe('\n');
    }
  });
});

describe('ufs upload --provider', () => {
  it.each([[''], [','], [' , ']])('-p %j names no provider: a usage error naming --provider', async (value) => {
    const run = await ufs(['upload', '-p', value, file], { env });
    expect(run.status).toBe(64);
    expect(run.stderr.trim()).toMatch(/^\[ufs\] --provider names no provider .*known providers: catbox, litterbox/);
    expect(run.stderr).not.toContain('options');
  });

  it('an unknown one is a usage error naming --provider and the known ids', async () => {
    const run = await ufs(['upload', '-p', 'catbox,bogus', file], { env });
    expect(run.status).toBe(64);
    expect(run.stderr.trim()).toMatch(/^\[ufs\] unknown provider "bogus" in --provider; known providers: catbox, /);
  });

  it('an unknown one holding DEL or U+009B (CSI) is named escaped, neither raw', async () => {
    const run = await ufs(['upload', '-p', 'bo\u007fgus\u009b2J', file], { env });
    expect(run.status).toBe(64);
    expect(run.stderr.trim()).toMatch(/^\[ufs\] unknown provider "bo\\u007fgus\\u009b2J" in --provider; known /);
    expect(run.stderr).not.toMatch(/[\u007f-\u009f]/);
  });
});

describe('ufs upload messages', () => {
  it('a name with a newline is shown escaped, the providers still joined with "; "', async () => {
    const dir = join(box.dir, 'names');
    await mkdir(dir, { recursive: true });
    const odd = join(dir, 'new\nline.txt');
    await writeFile(odd, 'odd name\n');
    const shown = JSON.stringify(odd).slice(1, -1); // …/names/new\nline.txt
    const missing = await ufs(['upload', '-p', 'catbox', join(dir, 'gone\n.txt')], { env });
    expect(missing.status).toBe(66);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(`"${JSON.stringify(join(dir, 'gone\n.txt')).slice(1, -1)}"`);
    fake.mode.catbox = 'error400';
    fake.mode['0x0'] = 'error400';
    const run = await ufs(['upload', '-p', 'catbox,0x0', '--retries', '1', odd], { env });
    expect(run.status).toBe(76); // the services refused (EX_PROTOCOL), not a usage error
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[ufs\] upload ".*": all 2 providers failed: catbox: .*HTTP 400.*; 0x0: .*HTTP 400/);
    expect(lines[0]).toContain(`upload "${shown}": all 2 providers failed`);
    expect(lines[0]).not.toContain('new; line');
  });

  it('a failed file is one line on stderr; --verbose adds every provider attempt', async () => {
    fake.mode.catbox = 'error500';
    fake.mode['0x0'] = 'error500';
    const run = await ufs(['upload', '-p', 'catbox,0x0', '--retries', '1', file], { env });
    expect(run.status).toBe(69);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^\[ufs\] upload ".*b\.txt": all 2 providers failed: catbox: .*HTTP 500.*; 0x0: .*HTTP 500/,
      ),
    ]);
    const verbose = await ufs(['upload', '-p', 'catbox,0x0', '--retries', '1', '--verbose', file], { env });
    expect(verbose.stderr).toMatch(/^catbox: failed: .*HTTP 500/m);
    expect(verbose.stderr).toMatch(/^0x0: failed: .*HTTP 500/m);
  });

  it('a file uploaded after a fallback says which provider failed, naming the file when there are several', async () => {
    fake.mode['0x0'] = 'error500';
    const run = await ufs(['upload', '-p', '0x0,catbox', '--retries', '1', file, file], { env });
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^.*b\.txt: 0x0: failed: .*HTTP 500/),
      expect.stringMatching(/^.*b\.txt: 0x0: failed: .*HTTP 500/),
    ]);
  });

  it('a name holding DEL and U+009B (CSI) is shown escaped in its per-file lines, neither raw', async () => {
    const dir = join(box.dir, 'c1-names');
    await mkdir(dir, { recursive: true });
    const odd = join(dir, 'del\u007f csi\u009b2J.txt');
    await writeFile(odd, 'odd name\n');
    const shown = `"${join(dir, 'del\\u007f csi\\u009b2J.txt')}"`;
    // --verbose: every step of each file is a line naming it (whether the services take such a name or not).
    const run = await ufs(['upload', '-p', '0x0', '--retries', '1', '--verbose', odd, file], { env });
    const lines = run.stderr.split('\n');
    expect(lines).toContain(`${shown}: 0x0: attempt 1`);
    expect(lines).toContain(`${file}: 0x0: attempt 1`);
    expect(run.stderr).not.toMatch(/[\u007f-\u009f]/);
    // Without --verbose: a folder so named (the services see only "a.txt"), uploaded after a fallback.
    const inOdd = join(dir, 'del\u007f csi\u009b2J', 'a.txt');
    await mkdir(join(dir, 'del\u007f csi\u009b2J'));
    await writeFile(inOdd, 'in an odd folder\n');
    fake.mode['0x0'] = 'error500';
    const fallback = await ufs(['upload', '-p', '0x0,catbox', '--retries', '1', inOdd, file], { env });
    expect(fallback.status).toBe(0);
    // Sorted: the quoted one first.
    expect(fallback.stderr.trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^".*\/del\\u007f csi\\u009b2J\/a\.txt": 0x0: failed: .*HTTP 500/),
      expect.stringMatching(/^\/.*\/b\.txt: 0x0: failed: .*HTTP 500/),
    ]);
    expect(fallback.stderr).not.toMatch(/[\u007f-\u009f]/);
  });
});
