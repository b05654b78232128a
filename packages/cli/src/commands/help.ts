import { Args, Flags, loadHelpClass, type Command } from '@oclif/core';
import { UfsError } from '@org/core';
import { BaseCommand } from '../base-command.js';
import { commandInfo, type CommandInfo } from '../output/command-info.js';

/**
 * `ufs help [COMMAND...]`: oclif's help text, and with `--json` the same facts as data (in place of
 * @oclif/plugin-help's command, which has no `--json`).
 */
export default class Help extends BaseCommand<typeof Help> {
  static override summary = 'Show help for ufs, a topic or a command.';
  static override description = `Without --json: the help text (as "<%= config.bin %> COMMAND --help" shows it).
With --json: an array of commands (the one named, or every command under the topic named, or all of them), each with its words, summary, description, usage, arguments, flags (name, char, type, default, options) and examples, for editors and scripts.`;
  static override strict = false;
  static override args = {
    command: Args.string({ description: 'Command or topic, in words (server key create).', required: false }),
  };
  static override flags = {
    'nested-commands': Flags.boolean({
      char: 'n',
      description: 'Include all nested commands in the output.',
    }),
  };
  static override examples = [
    '<%= config.bin %> <%= command.id %> scan',
    '<%= config.bin %> <%= command.id %> server key',
    { description: 'Every command as data', command: '<%= config.bin %> <%= command.id %> --json' },
    {
      description: 'The flags of one command',
      command: `<%= config.bin %> <%= command.id %> upload --json | jq '.[0].flags[].name'`,
    },
  ];

  async run(): Promise<CommandInfo[] | undefined> {
    const words = this.argList;
    const selected = this.select(words);
    if (!this.jsonEnabled()) {
      const HelpClass = await loadHelpClass(this.config);
      await new HelpClass(this.config, { all: this.flags['nested-commands'] }).showHelp(words);
      return undefined;
    }
    const separator = this.config.topicSeparator;
    return selected.map((command) => commandInfo(command, this.config.bin, separator));
  }

  /** The commands the words name: that command, or the visible ones under that topic, or all visible ones. */
  private select(words: string[]): Command.Loadable[] {
    const visible = this.config.commands.filter((command) => !command.hidden).sort((a, b) => a.id.localeCompare(b.id));
    if (words.length === 0) return visible;
    const id = words.join(':');
    const command = this.config.findCommand(id);
    if (command) return [command];
    const under = visible.filter((c) => c.id.startsWith(`${id}:`));
    if (under.length > 0) return under;
    const shown = words.join(' ').slice(0, 200);
    throw new UfsError('INVALID_INPUT', `[ufs] help: no command or topic "${shown}" (see ${this.config.bin} --help)`, {
      context: { operation: 'help', path: shown },
    });
  }
}
