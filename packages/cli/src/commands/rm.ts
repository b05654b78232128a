import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import { refuseDotEnding } from '../storage/dot-paths.js';
import { StorageCommand, type ArgFailure } from '../storage/storage-command.js';

export default class Rm extends StorageCommand<typeof Rm> {
  static override summary = 'Delete files (and folders with -r).';
  static override description =
    'A missing path is NOT_FOUND unless --force. A folder needs --recursive. A path ending in "." or ".." (as ".", "./", "../." or "x/..") is refused (INVALID_INPUT), as GNU rm does, as is the root of a mount. With several paths a failed one does not stop the others: each failure is reported, the others are deleted, and the exit status is that of the failures (with --json every path gets its result or its error).';
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

  async run(): Promise<Array<{ path: string; deleted: boolean } | ArgFailure>> {
    return this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      refuseDotEnding('rm', arg, this.show(node));
      if (node.isRoot) throw new UfsError('INVALID_INPUT', `[ufs] rm "${arg}": refusing to delete the root of a mount`);
      const context = { operation: 'rm', path: this.show(node) };
      if (!(await node.exists())) {
        if (!this.flags.force)
          throw new UfsError('NOT_FOUND', `[ufs] rm "${this.named(node)}": no such file or folder`, { context });
        return { path: this.show(node), deleted: false };
      }
      if (!this.flags.recursive && (await node.isDir())) {
        throw new UfsError('INVALID_INPUT', `[ufs] rm "${this.named(node)}": is a folder (use -r)`, { context });
      }
      await node.delete({ recursive: this.flags.recursive });
      this.debugNote(`deleted ${this.named(node)}`);
      return { path: this.show(node), deleted: true };
    });
  }
}
