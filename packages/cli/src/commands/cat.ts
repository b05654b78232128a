import { Args } from '@oclif/core';
import { pipeline } from 'node:stream/promises';
import { StorageCommand } from '../storage/storage-command.js';

const JSON_LIMIT = 16 * 1024 * 1024;

export default class Cat extends StorageCommand<typeof Cat> {
  static override summary = 'Write files to stdout.';
  static override description = `Streams each file (mount:path or local path) to stdout in order, whatever its size. With --json the files are returned as text (UTF-8) and limited to ${JSON_LIMIT / 1024 / 1024} MiB each.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> notes:todo.txt',
    '<%= config.bin %> <%= command.id %> s3:logs/app.log | grep ERROR',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'File(s) to print', required: true }) };

  async run(): Promise<Array<{ path: string; text: string }>> {
    const results: Array<{ path: string; text: string }> = [];
    for (const arg of this.argList) {
      const node = await this.node(arg);
      if (this.jsonEnabled()) {
        results.push({
          path: this.show(node),
          text: (await node.readBytes({ maxBytes: JSON_LIMIT })).toString('utf8'),
        });
        continue;
      }
      // NOT_FOUND before any byte is written
      const stream = await node.openReadStream();
      await pipeline(stream, process.stdout, { end: false });
    }
    return results;
  }
}
