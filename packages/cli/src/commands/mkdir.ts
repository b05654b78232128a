import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import { asUfsError } from '../errors.js';
import { StorageCommand, type ArgFailure } from '../storage/storage-command.js';

export default class Mkdir extends StorageCommand<typeof Mkdir> {
  static override summary = 'Create folders.';
  static override description =
    'Without --parents the parent must exist (NOT_FOUND, use -p) and the folder must not (ALREADY_EXISTS). On object stores folders are markers. With several folders a failed one does not stop the others; the exit status is that of the failures.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> data:reports',
    '<%= config.bin %> <%= command.id %> -p data:reports/2024/q1',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Folder(s) to create', required: true }) };
  static override flags = {
    parents: Flags.boolean({ char: 'p', description: 'Create missing parents; an existing folder is fine.' }),
  };

  async run(): Promise<Array<{ path: string } | ArgFailure>> {
    return this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      try {
        await node.mkdir(this.flags.parents ? { parents: true, existOk: true } : {});
      } catch (err) {
        throw this.flags.parents ? err : suggestParents(asUfsError(err));
      }
      this.debugNote(`created ${this.named(node)}`);
      return { path: this.show(node) };
    });
  }
}

/**
 * A missing parent without -p: the message says which flag creates it. Decided by what the storage says in the
 * error's fields (NOT_FOUND with `context.missing`, the folder that is not there), never by its wording; the hint
 * for API callers that ends the storage's message ("(use parents)") gives way to the flag's.
 */
export function suggestParents(error: UfsError): UfsError {
  if (error.code !== 'NOT_FOUND' || typeof error.context.missing !== 'string') return error;
  const message = error.message.replace(/ \(use [^()]*\)$/, '');
  return new UfsError(error.code, `${message} (use -p to create it)`, {
    context: error.context,
    cause: error.cause,
    retryable: error.retryable,
  });
}
