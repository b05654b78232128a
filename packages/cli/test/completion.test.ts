import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let setup: string;

/** Runs the generated bash completion function for a command line, as bash would on <TAB>. */
function complete(words: string[]): string[] {
  const script = `source "${setup}"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE='${words.join(' ')}'; COMP_POINT=\${#COMP_LINE}; _ufs_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  // bash shows each candidate once; the generated function may offer a topic once per command under it
  return [
    ...new Set(
      run.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

beforeAll(async () => {
  box = await sandbox();
  const instructions = await ufs(['autocomplete', 'bash'], { env: box.env });
  expect(instructions.status).toBe(0);
  expect(instructions.stdout).toContain('ufs autocomplete script bash');
  const script = await ufs(['autocomplete', 'script', 'bash'], { env: box.env });
  const match = /UFS_AC_BASH_SETUP_PATH=(\S+)/.exec(script.stdout);
  expect(match).not.toBeNull();
  setup = match![1]!;
});
afterAll(() => box.cleanup());

describe('shell completion (@oclif/plugin-autocomplete)', () => {
  it('completes commands, topics and their subcommands', () => {
    expect(complete(['ufs', 'prov'])).toEqual(['provider']);
    expect(complete(['ufs', 'provider', 'st'])).toEqual(['status']);
    expect(complete(['ufs', 'server', 'key', 'rev'])).toEqual(['revoke']);
  });

  it('completes flags of a command, the common ones included', () => {
    expect(complete(['ufs', 'upload', '--pro'])).toEqual(['--provider']);
    expect(complete(['ufs', 'scan', '--dry'])).toEqual(['--dry-run']);
    expect(complete(['ufs', 'ls', '--js'])).toEqual(['--json']);
  });

  it('also writes a zsh completion', async () => {
    const run = await ufs(['autocomplete', 'script', 'zsh'], { env: box.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/UFS_AC_ZSH_SETUP_PATH=\S+/);
  });
});
