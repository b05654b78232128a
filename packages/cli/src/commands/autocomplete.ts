import { basename, join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import { BaseCommand } from '../base-command.js';

const SHELLS = ['bash', 'zsh', 'powershell'] as const;
type Shell = (typeof SHELLS)[number];

export interface AutocompleteResult {
  shell: Shell;
  /** Where the completion functions were written. */
  cacheDir: string;
  /** The shell command that makes completion permanent (absent with --refresh-cache). */
  setup?: string;
  /** The file that command appends to. */
  profile?: string;
}

/**
 * `ufs autocomplete [SHELL]`: builds the completion cache with @oclif/plugin-autocomplete (its hidden
 * `autocomplete create` and `autocomplete script` commands do the work) and says how to enable it, as text or
 * with `--json` as data (the plugin's own command has no `--json`).
 */
export default class Autocomplete extends BaseCommand<typeof Autocomplete> {
  static override summary = 'Set up shell completion (bash, zsh or PowerShell).';
  static override description =
    'Builds the completion cache for the shell (default: the one in $SHELL) and prints the one command that enables completion in it. Run it again after upgrading ufs (or use --refresh-cache).';
  static override args = {
    shell: Args.string({ description: 'Shell type (default: from $SHELL)', options: [...SHELLS], required: false }),
  };
  static override flags = {
    'refresh-cache': Flags.boolean({ char: 'r', description: 'Only rebuild the cache (no instructions).' }),
  };
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> zsh',
    '<%= config.bin %> <%= command.id %> --refresh-cache',
    { description: 'The setup command as data', command: '<%= config.bin %> <%= command.id %> bash --json' },
  ];

  async run(): Promise<AutocompleteResult> {
    const shell = this.shell();
    await this.config.runCommand('autocomplete:create', []);
    const cacheDir = join(this.config.cacheDir, 'autocomplete');
    if (this.flags['refresh-cache']) {
      this.out(`${this.config.bin}: the ${shell} completion cache is rebuilt (${cacheDir}).`);
      return { shell, cacheDir };
    }
    const { setup, profile } = setupOf(this.config.bin, shell);
    const keys = shell === 'bash' ? '<TAB><TAB>' : '<TAB>';
    this.out(
      [
        `Completion for ${this.config.bin} in ${shell} is ready (${cacheDir}). To enable it, run once:`,
        '',
        `  ${setup}`,
        '',
        ...(shell === 'bash'
          ? ['A login shell reads ~/.bash_profile or ~/.profile instead of ~/.bashrc: append to that file then.', '']
          : []),
        `Then "${this.config.bin} ${keys}" completes commands and "${this.config.bin} COMMAND --${keys}" their flags.`,
      ].join('\n'),
    );
    return { shell, cacheDir, setup, profile };
  }

  private shell(): Shell {
    if (this.args.shell) return this.args.shell as Shell;
    const fromEnv = this.config.shell ? basename(this.config.shell).replace(/\.exe$/i, '') : '';
    const shell = fromEnv === 'pwsh' ? 'powershell' : fromEnv;
    if ((SHELLS as readonly string[]).includes(shell)) return shell as Shell;
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] autocomplete: ${shell ? `no completion for the shell "${shell.slice(0, 50)}"` : 'no shell in $SHELL'}; name one: ${SHELLS.join(', ')}`,
      { context: { operation: 'autocomplete' } },
    );
  }
}

/** The one command that appends the completion setup to the shell's start-up file. */
function setupOf(bin: string, shell: Shell): { setup: string; profile: string } {
  const script = `${bin} autocomplete script ${shell}`;
  switch (shell) {
    case 'bash':
      return { setup: `printf "$(${script})" >> ~/.bashrc; source ~/.bashrc`, profile: '~/.bashrc' };
    case 'zsh':
      return { setup: `printf "$(${script})" >> ~/.zshrc; source ~/.zshrc`, profile: '~/.zshrc' };
    case 'powershell':
      return {
        setup: `New-Item -Type Directory -Path (Split-Path -Parent $PROFILE) -ErrorAction SilentlyContinue; Add-Content -Path $PROFILE -Value (Invoke-Expression -Command "${script}"); .$PROFILE`,
        profile: '$PROFILE',
      };
  }
}
