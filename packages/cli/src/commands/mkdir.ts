import { Args, Flags } from '@oclif/core';
import { StorageCommand } from '../storage/storage-command.js';

export default class Mkdir extends StorageCommand<typeof Mkdir> {
  static override summary = 'Create folders.';
  static override description =
    'Without --parents the parent must exist and the folder must not (ALREADY_EXISTS). On object stores folders are markers.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> data:reports',
    '<%= config.bin %> <%= command.id %> -p data:reports/2024/q1',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Folder(s) to create', required: true }) };
  static override flags = {
    parents: Flags.boolean({ char: 'p', description: 'Create missing parents; an existing folder is fine.' }),
  };

  async run(): Promise<Array<{ path: string }>> {
    const made: Array<{ path: string }> = [];
    for (const arg of this.argList) {
      const node = await this.node(arg);
      await node.mkdir(this.flags.parents ? { parents: true, existOk: true } : {});
      made.push({ path: this.show(node) });
      this.debugNote(`created ${this.show(node)}`);
    }
    return made;
  }
}
