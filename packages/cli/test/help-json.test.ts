// `ufs help` and `ufs autocomplete` are commands like the others: --json gives their facts as data, bad input is a
// one-line usage error (64), and the text forms still work.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

interface Info {
  command: string;
  summary?: string;
  usage: string;
  args: Array<{ name: string; required: boolean; options?: string[] }>;
  flags: Array<{ name: string; char?: string; type: string; multiple: boolean; options?: string[]; group?: string }>;
  examples: Array<{ command: string; description?: string }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8')) as {
  commands: Record<string, { hidden?: boolean }>;
};

describe('ufs help --json', () => {
  it('describes every command, with rendered examples and the common flags', async () => {
    const run = await ufs(['help', '--json'], { env: box.env });
    expect(run.status).toBe(0);
    const infos = run.json<Info[]>();
    const words = infos.map((info) => info.command);
    for (const id of Object.keys(manifest.commands)) expect(words).toContain(id.replaceAll(':', ' '));
    expect(words).toContain('autocomplete');
    expect(words).not.toContain('autocomplete script'); // hidden
    for (const info of infos) {
      expect([info.command, info.examples.length > 0]).toEqual([info.command, true]);
      expect(JSON.stringify(info)).not.toContain('<%');
      expect(info.flags.find((flag) => flag.name === 'json')).toMatchObject({ type: 'boolean', group: 'GLOBAL' });
    }
    const scan = infos.find((info) => info.command === 'scan')!;
    expect(scan.usage).toBe('ufs scan PATH [FLAGS]');
    expect(scan.flags.find((flag) => flag.name === 'dry-run')).toMatchObject({ type: 'boolean', multiple: false });
    expect(scan.examples.some((example) => example.command.startsWith('ufs scan --dry-run'))).toBe(true);
  });

  it('describes one command named in words, or the commands under a topic', async () => {
    const upload = await ufs(['help', 'upload', '--json'], { env: box.env });
    expect(upload.status).toBe(0);
    const [info] = upload.json<Info[]>();
    expect(info!.command).toBe('upload');
    expect(info!.flags.find((flag) => flag.name === 'provider')).toMatchObject({ char: 'p', type: 'option' });
    const cp = (await ufs(['help', 'cp', '--json'], { env: box.env })).json<Info[]>()[0]!;
    expect(cp.usage).toBe('ufs cp SOURCE... DEST [FLAGS]');
    expect(cp.args.map((arg) => [arg.name, arg.required])).toEqual([
      ['source', true],
      ['dest', true],
    ]);
    const keys = await ufs(['help', 'server', 'key', '--json'], { env: box.env });
    expect(keys.json<Info[]>().map((i) => i.command)).toEqual([
      'server key create',
      'server key list',
      'server key revoke',
    ]);
    const create = await ufs(['help', 'server', 'key', 'create', '--json'], { env: box.env });
    expect(create.json<Info[]>().map((i) => i.command)).toEqual(['server key create']);
  });

  it('refuses an unknown command or topic with status 64, in both forms', async () => {
    const text = await ufs(['help', 'nope'], { env: box.env });
    expect({ status: text.status, stderr: text.stderr.trim() }).toEqual({
      status: 64,
      stderr: '[ufs] help: no command or topic "nope" (see ufs --help)',
    });
    const json = await ufs(['help', 'server', 'nope', '--json'], { env: box.env });
    expect(json.status).toBe(64);
    expect(json.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'INVALID_INPUT',
      message: '[ufs] help: no command or topic "server nope" (see ufs --help)',
    });
  });

  it('still prints the help text without --json', async () => {
    const run = await ufs(['help', 'scan'], { env: box.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('$ ufs scan PATH');
    expect(run.stdout).toContain('EXAMPLES');
    const root = await ufs(['help'], { env: box.env });
    expect(root.status).toBe(0);
    expect(root.stdout).toContain('TOPICS');
  });

  it('gives the "server key" topic its own description (not the first command summary)', async () => {
    const topic = await ufs(['server', 'key', '--help'], { env: box.env });
    expect(topic.stdout.split('\n')[0]).toBe('API keys of the dedup server');
    const server = await ufs(['server', '--help'], { env: box.env });
    expect(server.stdout).toMatch(/server key +API keys of the dedup server/);
  });
});

describe('ufs autocomplete', () => {
  it('builds the cache and gives the setup command as data', async () => {
    const run = await ufs(['autocomplete', 'bash', '--json'], { env: box.env });
    expect(run.status).toBe(0);
    const result = run.json<{ shell: string; cacheDir: string; setup: string; profile: string }>();
    expect(result).toMatchObject({
      shell: 'bash',
      cacheDir: join(box.env.XDG_CACHE_HOME!, 'ufs', 'autocomplete'),
      setup: 'printf "$(ufs autocomplete script bash)" >> ~/.bashrc; source ~/.bashrc',
      profile: '~/.bashrc',
    });
    expect(existsSync(join(result.cacheDir, 'bash_setup'))).toBe(true);
  });

  it('takes the shell from $SHELL, and --refresh-cache prints no setup', async () => {
    const run = await ufs(['autocomplete', '-r', '--json'], { env: { ...box.env, SHELL: '/usr/bin/zsh' } });
    expect(run.status).toBe(0);
    const result = run.json<Record<string, unknown>>();
    expect(result.shell).toBe('zsh');
    expect(result).not.toHaveProperty('setup');
  });

  it('refuses a shell it cannot complete for, naming it', async () => {
    const fromEnv = await ufs(['autocomplete'], { env: { ...box.env, SHELL: '/usr/bin/fish' } });
    expect({ status: fromEnv.status, stderr: fromEnv.stderr.trim() }).toEqual({
      status: 64,
      stderr: '[ufs] autocomplete: no completion for the shell "fish"; name one: bash, zsh, powershell',
    });
    const named = await ufs(['autocomplete', 'fish'], { env: box.env });
    expect(named.status).toBe(64);
    expect(named.stderr).toContain('fish');
  });
});
