import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@org/core';
import { EXIT_CODE_BY_CODE } from '@org/core';
import { ufs } from './helpers/ufs.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

describe('the ufs binary (real process, built dist)', () => {
  it('prints its bare version', async () => {
    const run = await ufs(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('prints help listing the commands and topics', async () => {
    const run = await ufs(['--help']);
    expect(run.status).toBe(0);
    for (const word of ['upload', 'provider', 'scan', 'serve', 'server', 'ls', 'cp', 'autocomplete']) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${word}\\s`, 'm'));
    }
  });

  it('refuses an unknown command on stderr with a usage exit status', async () => {
    const run = await ufs(['frobnicate']);
    expect(run.status).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('[ufs] unknown command "frobnicate" (see ufs --help)');
    // -V (as --verbose) adds the details; after "--" it is only an argument
    const verbose = await ufs(['frobnicate', '-V']);
    expect(verbose.stderr).toContain('code: INVALID_INPUT');
    const after = await ufs(['frobnicate', '--', '-V']);
    expect(after.stderr.trim()).toBe('[ufs] unknown command "frobnicate" (see ufs --help)');
  });

  it('refuses a bad flag with one line and status 64; --json puts the error on stdout', async () => {
    const run = await ufs(['provider', 'list', '--no-such-flag']);
    expect(run.status).toBe(64);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--no-such-flag');
    const json = await ufs(['upload', '--json']);
    expect(json.status).toBe(64);
    expect(json.json<{ error: { code: string; exitCode: number } }>().error).toMatchObject({
      code: 'INVALID_INPUT',
      exitCode: 64,
    });
  });
});

describe('every command', () => {
  const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8')) as {
    commands: Record<string, { examples?: unknown[]; flags: Record<string, unknown> }>;
  };
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const ids = Object.keys(manifest.commands);

  it('has examples, --json, --verbose and --config', () => {
    expect(ids.length).toBeGreaterThanOrEqual(15);
    for (const id of ids) {
      const command = manifest.commands[id]!;
      expect([id, (command.examples ?? []).length > 0]).toEqual([id, true]);
      for (const flag of ['json', 'verbose', 'config']) expect([id, flag in command.flags]).toEqual([id, true]);
    }
  });

  it('is in the generated reference of README.md (pnpm --filter @org/cli readme)', () => {
    for (const id of ids) expect([id, readme.includes(`## \`ufs ${id.replaceAll(':', ' ')}`)]).toEqual([id, true]);
  });

  it('shows cp and mv as SOURCE... DEST in their usage; autocomplete --help succeeds', async () => {
    for (const id of ['cp', 'mv']) {
      const run = await ufs([id, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`$ ufs ${id} SOURCE... DEST [FLAGS]`);
    }
    expect((await ufs(['autocomplete', '--help'])).status).toBe(0);
    const short = await ufs(['cp', '-h']); // -h is --help, as in most command-line tools
    expect({ status: short.status, usage: short.stdout.includes('$ ufs cp SOURCE... DEST') }).toEqual({
      status: 0,
      usage: true,
    });
    const missing = await ufs(['cp', 'only-one']);
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain('a destination is needed after "only-one"');
  });

  it('shows its examples in --help', async () => {
    const run = await ufs(['scan', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('EXAMPLES');
    expect(run.stdout).toContain('$ ufs scan --dry-run');
  });
});

describe('exit statuses', () => {
  it('maps every error code to a non-zero status', () => {
    for (const code of ERROR_CODES) expect(EXIT_CODE_BY_CODE[code]).toBeGreaterThan(0);
  });
});
