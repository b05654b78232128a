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
  static override description = `Streams each file (mount:path or local path) to stdout in order, whatever its size. With --json the files are returned as text (UTF-8) and limited to ${JSON_LIMIT / 1024 / 1024} MiB each (TOO_LARGE). A file that fails does not stop the others: it is reported on stderr (with --json, as its item's error) and decides the exit status.`;
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
          return { path: this.show(node), text: await this.text(node) };
        },
        (item) => out.item(item),
      );
      await out.end();
      return;
    }
    await this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      // NOT_FOUND before any byte is written
      const stream = await node.openReadStream();
      await streamOut(stream);
    });
  }

  /** A file's text for --json; one over the limit is TOO_LARGE naming it. */
  private async text(node: StorageNode): Promise<string> {
    try {
      return (await node.readBytes({ maxBytes: JSON_LIMIT })).toString('utf8');
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
