import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import { StorageCommand } from '../storage/storage-command.js';

export default class Rm extends StorageCommand<typeof Rm> {
  static override summary = 'Delete files (and folders with -r).';
  static override description = 'A missing path is NOT_FOUND unless --force. A folder needs --recursive.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> s3:tmp/old.zip',
    '<%= config.bin %> <%= command.id %> -r data:cache',
    '<%= config.bin %> <%= command.id %> -f ./maybe-there.txt',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Path(s) to delete', required: true }) };
  static override flags = {
    recursive: Flags.boolean({ char: 'r', description: 'Delete folders and everything in them.' }),
    force: Flags.boolean({ char: 'f', description: 'A missing path is not an error.' }),
  };

  async run(): Promise<Array<{ path: string; deleted: boolean }>> {
    const results: Array<{ path: string; deleted: boolean }> = [];
    for (const arg of this.argList) {
      const node = await this.node(arg);
      if (node.isRoot) throw new UfsError('INVALID_INPUT', `[ufs] rm "${arg}": refusing to delete the root of a mount`);
      const exists = await node.exists();
      if (!exists) {
        if (!this.flags.force)
          throw new UfsError('NOT_FOUND', `[ufs] rm "${this.show(node)}": no such file or folder`, {
            context: { operation: 'rm', path: this.show(node) },
          });
        results.push({ path: this.show(node), deleted: false });
        continue;
      }
      if (!this.flags.recursive && (await node.isDir())) {
        throw new UfsError('INVALID_INPUT', `[ufs] rm "${this.show(node)}": is a folder (use -r)`, {
          context: { operation: 'rm', path: this.show(node) },
        });
      }
      await node.delete({ recursive: this.flags.recursive });
      results.push({ path: this.show(node), deleted: true });
      this.debugNote(`deleted ${this.show(node)}`);
    }
    return results;
  }
}
