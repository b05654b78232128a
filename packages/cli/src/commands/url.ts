import { Args, Flags } from '@oclif/core';
import { parseDuration } from '@org/providers';
import { StorageCommand } from '../storage/storage-command.js';

export default class Url extends StorageCommand<typeof Url> {
  static override summary = 'Print a URL for a file: presigned where the backend signs, else its public URL.';
  static override description =
    'S3, GCS and Azure give presigned URLs valid for --expires; local and HTTP mounts with a baseUrl give public URLs. With --upload the URL accepts a PUT of new content. Mounts without URLs answer UNSUPPORTED (exit 69).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> s3:reports/q1.pdf --expires 2h',
    {
      description: 'A URL someone can PUT a file to for 15 minutes',
      command: '<%= config.bin %> <%= command.id %> --upload --expires 15m s3:inbox/upload.bin',
    },
  ];
  static override args = { path: Args.string({ description: 'File (mount:path)', required: true }) };
  static override flags = {
    expires: Flags.string({
      char: 'e',
      description: 'How long a presigned URL stays valid (e.g. 30m, 24h, 7d).',
      default: '1h',
    }),
    upload: Flags.boolean({ description: 'A presigned PUT URL for uploading instead of a GET URL.' }),
  };

  async run(): Promise<{ path: string; url: string; method: 'GET' | 'PUT'; expiresIn: number }> {
    const node = await this.node(this.args.path);
    const expiresIn = Math.round(parseDuration(this.flags.expires, 'url') / 1000);
    const url = this.flags.upload ? await node.uploadUrl({ expiresIn }) : await node.url({ expiresIn });
    this.out(url);
    return { path: this.show(node), url, method: this.flags.upload ? 'PUT' : 'GET', expiresIn };
  }
}
