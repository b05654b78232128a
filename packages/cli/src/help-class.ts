import { Help } from '@oclif/core';

/**
 * oclif's help, with help of its own for the help command: `ufs help --help`, `ufs help -h` and `ufs help help` show
 * it (usage, `--nested-commands`, examples) as `ufs ls --help` shows ls's. oclif's Help skips the word "help" when it
 * looks for the subject, so those showed the root help. Wired as `oclif.helpClass` in package.json.
 */
export default class UfsHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    const end = argv.indexOf('--');
    const words = (end < 0 ? argv : argv.slice(0, end)).filter((arg) => !arg.startsWith('-'));
    if (words.length > 0 && words.every((word) => word === 'help')) {
      const command = this.config.findCommand('help');
      if (command) return this.showCommandHelp(command);
    }
    return super.showHelp(argv);
  }
}
