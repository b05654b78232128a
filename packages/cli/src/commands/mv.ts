import { TransferCommand, transferArgs, type TransferJson } from '../storage/transfer-command.js';
import { PATTERNS, transferFlags, TRANSFER_USAGE } from '../storage/transfer.js';

export default class Mv extends TransferCommand<typeof Mv> {
  static override summary = 'Move files and folder trees, within a mount or across mounts.';
  static override description = [
    'Like cp, and each file is removed from the source once it is in place (a native rename where the backend has one). Files that failed or were skipped stay where they were. A moved folder leaves nothing behind: its empty folders are made at the destination and removed from the source (not with --include/--exclude, which move only the files chosen; nor to S3, GCS or Azure, which cannot hold empty folders). A source folder that cannot be removed because something other than such empty folders is left in it is reported and decides the exit status. A source ending in "." or ".." (the current folder or one above it) is refused, as GNU mv does. Of several sources of one name (a/x and b/x), the later is refused before anything is moved and stays where it is (see cp).',
    PATTERNS,
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> <%= command.id %> data:inbox/report.pdf data:archive/2024/',
    {
      description: 'Move a local folder into S3',
      command: '<%= config.bin %> <%= command.id %> ./exports s3:exports',
    },
    {
      description: 'Move the logs of a tree, leaving every .git folder where it is',
      command: '<%= config.bin %> <%= command.id %> -i "*.log" -x .git/ ./app archive:logs',
    },
  ];
  static override usage = TRANSFER_USAGE;
  static override args = transferArgs;
  static override flags = { ...transferFlags };

  async run(): Promise<TransferJson> {
    return this.transfer('move');
  }
}
