import { isUtf8 } from 'node:buffer';
import { Args } from '@oclif/core';
import { UfsError, formatBytes } from '@org/core';
import type { StorageNode } from '@org/storage';
import { asUfsError } from '../errors.js';
import { JsonArrayOut } from '../output/json-stream.js';
import { streamOut } from '../output/stdout.js';
import { StorageCommand } from '../storage/storage-command.js';

const JSON_LIMIT = 16 * 1024 * 1024;

export default class Cat extends StorageCommand<typeof Cat> {
  static override summary = 'Write files to stdout.';
  static override description = `Streams each file (mount:path or local path) to stdout in order, whatever its size. With --json each file is an item {path, text, encoding} of an array, limited to ${JSON_LIMIT / 1024 / 1024} MiB per file (TOO_LARGE): text is the content itself with encoding "utf8" when the bytes are valid UTF-8, else the bytes in base64 with encoding "base64" (nothing is replaced or lost). A file that fails does not stop the others: it is reported on stderr (with --json, as its item's error) and decides the exit status.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> notes:todo.txt',
    '<%= config.bin %> <%= command.id %> s3:logs/app.log | grep ERROR',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'File(s) to print', required: true }) };

  async run(): Promise<void> {
    if (this.jsonEnabled()) {
      // Each file's text is written as soon as it is read: only one file is held at a time.
      const out = (this.jsonOut = new JsonArrayOut());
      await this.eachArg(
        this.argList,
        async (arg) => {
          const node = await this.node(arg);
          return { path: this.show(node), ...contentJson(await this.bytes(node)) };
        },
        (item) => out.item(item),
      );
      await out.end();
      return;
    }
    await this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      // NOT_FOUND before any byte is written
      const stream = await this.read(node, () => node.openReadStream());
      await streamOut(stream);
    });
  }

  /**
   * Opens or reads a file. A folder is refused as such on every backend: local and SFTP say "is a folder" (64), but
   * where folders are only key prefixes (S3, GCS, Azure) the read finds no object and says NOT_FOUND (66); a
   * NOT_FOUND read of a path that is a folder is that usage error too.
   */
  private async read<R>(node: StorageNode, read: () => Promise<R>): Promise<R> {
    try {
      return await read();
    } catch (err) {
      if (asUfsError(err).code !== 'NOT_FOUND' || !(await node.isDir().catch(() => false))) throw err;
      throw new UfsError('INVALID_INPUT', `[ufs] cat "${this.named(node)}": is a folder, not a file`, {
        context: { operation: 'read', path: this.show(node) },
        cause: err,
      });
    }
  }

  /** A file's bytes for --json; one over the limit is TOO_LARGE naming it. */
  private async bytes(node: StorageNode): Promise<Buffer> {
    try {
      return await this.read(node, () => node.readBytes({ maxBytes: JSON_LIMIT }));
    } catch (err) {
      const error = asUfsError(err);
      if (error.code !== 'TOO_LARGE') throw err;
      throw new UfsError(
        'TOO_LARGE',
        `[ufs] cat --json "${this.named(node)}": larger than ${formatBytes(JSON_LIMIT)}, the limit for --json (cat it without --json to stream it)`,
        { context: { operation: 'cat', path: this.show(node) }, cause: error },
      );
    }
  }
}

/**
 * A file's content in `--json`: its text when the bytes are valid UTF-8, else base64 (decoding them as UTF-8 would
 * replace every invalid byte by U+FFFD, silently). `isUtf8` checks the bytes in place, in one pass, without a copy
 * or a decoded string.
 */
function contentJson(bytes: Buffer): { text: string; encoding: 'utf8' | 'base64' } {
  return isUtf8(bytes)
    ? { text: bytes.toString('utf8'), encoding: 'utf8' }
    : { text: bytes.toString('base64'), encoding: 'base64' };
}
