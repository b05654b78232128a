import { Args, Flags } from '@oclif/core';
import { describeContext, isUfsError, UfsError, type ErrorCode } from '@org/core';
import type { NodeStat, StorageNode } from '@org/storage';
import { asUfsError } from '../errors.js';
import { StorageCommand, type ArgFailure } from '../storage/storage-command.js';

export default class Mkdir extends StorageCommand<typeof Mkdir> {
  static override summary = 'Create folders.';
  static override description =
    'Without --parents the parent must exist (NOT_FOUND, use -p) and the folder must not (ALREADY_EXISTS); a file in the way is ALREADY_EXISTS. On S3 a folder is a marker object. Azure and GCS have no folders: a folder exists once a file is written below it, so nothing is made there; what can be checked is (a file in the way, a missing parent without --parents, the credentials, by a stat), and a note on stderr (--json: "created": false) says nothing was made. With several folders a failed one does not stop the others; the exit status is that of the failures.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> data:reports',
    '<%= config.bin %> <%= command.id %> -p data:reports/2024/q1',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Folder(s) to create', required: true }) };
  static override flags = {
    parents: Flags.boolean({ char: 'p', description: 'Create missing parents; an existing folder is fine.' }),
  };

  async run(): Promise<Array<{ path: string; created: boolean } | ArgFailure>> {
    return this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      if (!node.capabilities.directories) return this.withoutFolders(node);
      try {
        await node.mkdir(this.flags.parents ? { parents: true, existOk: true } : {});
      } catch (err) {
        throw this.flags.parents ? err : suggestParents(asUfsError(err));
      }
      this.debugNote(`created ${this.named(node)}`);
      return { path: this.show(node), created: true };
    });
  }

  /**
   * A mount without folders (object stores: `directories: false`). Its backend's mkdir may write a marker (S3) or do
   * nothing (Azure, GCS): checked first by stats (which also try the credentials), then after, so that the result
   * says whether a folder is there; when none is, a note says that nothing was made (never a silent success).
   * Without -p a missing parent is NOT_FOUND here too, as where folders are real.
   */
  private async withoutFolders(node: StorageNode): Promise<{ path: string; created: boolean }> {
    const fail = (code: ErrorCode, at: StorageNode, detail: string) => {
      const context = {
        backend: node.backend.protocol,
        mount: node.mountName,
        operation: 'mkdir',
        path: this.show(node),
      };
      return new UfsError(code, `${describeContext(context)} ${detail}`, {
        context: { ...context, at: this.show(at) },
      });
    };
    const here = await statOrNull(node);
    if (here?.isFile) throw fail('ALREADY_EXISTS', node, 'a file is in the way');
    if (here?.isDir && !this.flags.parents) throw fail('ALREADY_EXISTS', node, 'the folder already exists');
    const parent = node.parent;
    let parentIsDir = parent.isRoot;
    for (let above = parent; !above.isRoot; above = above.parent) {
      const stat = await statOrNull(above);
      if (stat?.isFile) throw fail('INVALID_INPUT', above, `"${above.path}" is a file, not a folder`);
      if (above === parent) parentIsDir = stat?.isDir === true;
    }
    // Without -p the parent must be there, as on every backend (S3's mkdir checks it too; Azure's and GCS's make
    // nothing and check nothing).
    if (!this.flags.parents && !parentIsDir) {
      throw fail('NOT_FOUND', parent, 'the parent folder does not exist (use -p to create it)').withContext({
        missing: this.show(parent),
      });
    }
    if (!here?.isDir) {
      try {
        await node.mkdir(this.flags.parents ? { parents: true, existOk: true } : {});
      } catch (err) {
        throw this.flags.parents ? err : suggestParents(asUfsError(err));
      }
    }
    if ((await statOrNull(node))?.isDir) {
      this.debugNote(`created ${this.named(node)}`);
      return { path: this.show(node), created: true };
    }
    this.note(
      `[ufs] mkdir ${this.named(node)}: nothing was made: the ${node.backend.protocol} mount "${node.mountName}" has no folders (a folder exists once a file is written below it)`,
    );
    return { path: this.show(node), created: false };
  }
}

/** The node's stat, or null when nothing is there (any other error, e.g. refused credentials, is thrown). */
async function statOrNull(node: StorageNode): Promise<NodeStat | null> {
  try {
    return await node.stat();
  } catch (err) {
    if (isUfsError(err) && err.code === 'NOT_FOUND') return null;
    throw err;
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
