import { Args } from '@oclif/core';
import { formatBytes } from '@org/core';
import { StorageCommand, statJson, type ArgFailure } from '../storage/storage-command.js';

export default class Stat extends StorageCommand<typeof Stat> {
  static override summary = 'Show what a mount knows about files and folders.';
  static override description =
    'Kind (file, folder, or other: a FIFO, socket or device), size, modification time, and where the backend has them: ETag, content type, version, user metadata and stored checksum. With several paths a failed one does not stop the others; the exit status is that of the failures.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> s3:photos/beach.jpg',
    '<%= config.bin %> <%= command.id %> --json ./README.md',
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Path(s) (mount:path or local path)', required: true }) };

  async run(): Promise<Array<ReturnType<typeof statJson> | ArgFailure>> {
    const many = this.argList.length > 1;
    return this.eachArg(this.argList, async (arg) => {
      const node = await this.node(arg);
      const stat = await node.stat();
      const item = statJson(this.show(node), node.basename, stat);
      const lines = [
        `path:  ${item.path}`,
        `type:  ${kind(stat)}`,
        ...(stat.isFile ? [`size:  ${stat.size} (${formatBytes(stat.size)})`] : []),
        ...(stat.mtime ? [`mtime: ${stat.mtime.toISOString()}`] : []),
        ...(stat.etag ? [`etag:  ${stat.etag}`] : []),
        ...(stat.contentType ? [`content-type: ${stat.contentType}`] : []),
        ...(stat.versionId ? [`version: ${stat.versionId}`] : []),
        ...(stat.hash ? [`${stat.hash.algorithm}: ${stat.hash.value}`] : []),
        ...Object.entries(stat.metadata ?? {}).map(([k, v]) => `meta.${k}: ${v}`),
      ];
      this.out(lines.join('\n') + (many ? '\n' : ''));
      return item;
    });
  }
}

/**
 * What the entry is: a file, a folder, or neither (a FIFO, a socket, a device on a local mount). The storage entry
 * says only isFile and isDir, not which special kind, so neither is "other", and has no size line: its size 0 is
 * not a length.
 */
function kind(stat: { isFile: boolean; isDir: boolean }): string {
  if (stat.isDir) return 'folder';
  return stat.isFile ? 'file' : 'other (not a regular file or a folder)';
}
