import { TransferCommand, transferArgs, type TransferJson } from '../storage/transfer-command.js';
import { PATTERNS, transferFlags, TRANSFER_USAGE } from '../storage/transfer.js';

export default class Cp extends TransferCommand<typeof Cp> {
  static override summary = 'Copy files and folder trees, within a mount or across mounts.';
  static override description = [
    'SOURCE and DEST are mount:path or local paths. A folder is copied with everything in it, its contents going to DEST itself (so the same command run again with --skip works as a sync). A file goes into DEST when DEST is an existing folder or ends with "/", else to DEST itself. With several sources, each goes into the folder DEST under its own name; two of one name (a/x and b/x; X and x where the destination ignores case, as Dropbox) would go to one place, so the later is refused before anything is copied (INVALID_INPUT, naming both) and the others go on, as GNU cp will not overwrite a file it has just made.',
    'Inside one backend the copy is server-side where it can be; across backends bytes are streamed, never held whole. Copies keep the modification time of their source where the destination can (local, memory, SFTP, S3, GCS, Azure; see --no-modtime). --skip decides which existing files are left alone (exists, size, modtime: same size and modification time within --modify-window, the check rclone makes by default; hash: stored checksums are used when both sides have comparable ones). Prints a summary; failed files are reported one line each and decide the exit status. A source that fails as a whole (missing, unreadable) does not stop the other sources. Ctrl-C stops cleanly: files being written are removed (finished ones stay), and the exit status is 130.',
    PATTERNS,
  ].join('\n\n');
  static override examples = [
    {
      description: 'Back up a local folder to S3, skipping files already there with the same content',
      command: '<%= config.bin %> <%= command.id %> --skip hash ~/photos backup:photos',
    },
    {
      description: 'Sync a folder to SFTP again, leaving files with the same size and modification time (as rclone)',
      command: '<%= config.bin %> <%= command.id %> --skip modtime ./site web:public',
    },
    {
      description: 'Only the Markdown files of a tree',
      command: '<%= config.bin %> <%= command.id %> --include "**/*.md" data:docs ./docs-copy',
    },
    {
      description: 'A project without its node_modules folders (at any depth) and its top-level build folder',
      command: '<%= config.bin %> <%= command.id %> -x node_modules/ -x /build/ ./project s3:project',
    },
    {
      description: 'Several files into a folder',
      command: '<%= config.bin %> <%= command.id %> a.txt b.txt s3:inbox/',
    },
  ];
  static override usage = TRANSFER_USAGE;
  static override args = transferArgs;
  static override flags = { ...transferFlags };

  async run(): Promise<TransferJson> {
    return this.transfer('copy');
  }
}
