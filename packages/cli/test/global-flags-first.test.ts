// The global flags (--config, --json, -V/--verbose) typed before the command name, as git, kubectl and rclone take
// them: `ufs --config c.yaml ls a:` is `ufs ls a: --config c.yaml`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let config: string;
let data: string;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  data = join(box.dir, 'data');
  await mkdir(data);
  await writeFile(join(data, 'one.txt'), 'one\n');
  config = join(box.dir, 'cfg.yaml');
  await writeFile(config, `mounts:\n  a: { protocol: local, root: ${JSON.stringify(data)} }\n`);
});
afterAll(() => box.cleanup());

describe('global flags before the command', () => {
  it('--config FILE and --config=FILE before the command', async () => {
    for (const flags of [['--config', config], [`--config=${config}`]]) {
      const run = await ufs([...flags, 'ls', 'a:'], { env });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 0,
        stdout: 'one.txt\n',
        stderr: '',
      });
    }
  });

  it('an empty --config= is a usage error, before or after the command (not read as "no file given")', async () => {
    for (const args of [
      ['--config=', 'ls', 'a:'],
      ['ls', 'a:', '--config='],
    ]) {
      const run = await ufs(args, { env: { ...env, UFS_CONFIG: config } });
      expect([args, run.status, run.stdout]).toEqual([args, 64, '']);
      expect(run.stderr).toContain('--config to name a file but received an empty value');
    }
  });

  it('--json and -V before the command, a command of two words, and flags after it still work', async () => {
    const run = await ufs(['--json', '-V', '--config', config, 'cat', 'a:one.txt'], { env });
    expect(run.status).toBe(0);
    const list = await ufs(['--json', '--config', config, 'ls', '-l', 'a:'], { env });
    expect(list.status).toBe(0);
    expect(list.json<Array<{ name: string }>>().map((entry) => entry.name)).toEqual(['one.txt']);
    const providers = await ufs(['--json', 'provider', 'list'], { env });
    expect(providers.status).toBe(0);
    expect(Array.isArray(providers.json())).toBe(true);
  });

  it('arguments after -- are left alone', async () => {
    await writeFile(join(data, '-dash.txt'), 'dash\n');
    const run = await ufs(['--config', config, 'cat', '--', 'a:-dash.txt'], { env });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: 'dash\n' });
  });

  it('an unknown leading flag is a usage error naming it', async () => {
    const run = await ufs(['--bogus', 'ls', 'a:'], { env });
    expect(run.status).toBe(64);
    expect(run.stderr.trim()).toBe(
      '[ufs] unknown flag "--bogus" before the command (before it go only --config, --json, --verbose, -V; see ufs --help)',
    );
    const after = await ufs(['--json', '--bogus', 'ls', 'a:'], { env });
    expect(after.status).toBe(64);
    expect(after.stderr).toContain('unknown flag "--bogus" before the command');
  });

  it('--config without a value, a flag with a value it does not take, no command', async () => {
    const missing = await ufs(['--config'], { env });
    expect({ status: missing.status, stderr: missing.stderr.trim() }).toEqual({
      status: 64,
      stderr: '[ufs] flag --config needs a value (see ufs --help)',
    });
    const valued = await ufs(['--json=yes', 'ls'], { env });
    expect({ status: valued.status, stderr: valued.stderr.trim() }).toEqual({
      status: 64,
      stderr: '[ufs] flag --json takes no value (see ufs --help)',
    });
    const none = await ufs(['--config', config], { env });
    expect({ status: none.status, stderr: none.stderr.trim() }).toEqual({
      status: 64,
      stderr: `[ufs] no command after --config=${config} (see ufs --help)`,
    });
  });

  it('--help and --version after global flags', async () => {
    const help = await ufs(['--config', config, '--help'], { env });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('COMMANDS');
    const version = await ufs(['--json', '--version'], { env });
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^\S*\d+\.\d+\.\d+/);
  });
});
