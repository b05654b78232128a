import { Args, Flags } from '@oclif/core';
import { formatBytes } from '@org/core';
import type { StorageNode } from '@org/storage';
import { table } from '../output/table.js';
import { StorageCommand } from '../storage/storage-command.js';

interface Entry {
  path: string;
  name: string;
  isDir: boolean;
  size: number;
  mtime?: string;
}

export default class Ls extends StorageCommand<typeof Ls> {
  static override summary = 'List a folder of a mount (or a local folder).';
  static override description =
    'PATH is mount:path with mounts from the config file, or a local path. Folders are shown with a trailing "/". With --recursive every file below is listed with its path relative to PATH.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> photos:2024',
    {
      description: 'Everything below, with sizes and dates',
      command: '<%= config.bin %> <%= command.id %> -r --long s3:backups',
    },
    {
      description: 'Only Markdown files, as JSON',
      command: '<%= config.bin %> <%= command.id %> --glob "**/*.md" --json ./docs',
    },
  ];
  static override args = { path: Args.string({ description: 'Folder (mount:path or local path)', default: '.' }) };
  static override flags = {
    recursive: Flags.boolean({ char: 'r', description: 'List everything below, not one level.' }),
    long: Flags.boolean({ char: 'l', description: 'Show type, size and modification time.' }),
    glob: Flags.string({
      char: 'g',
      description: 'Only entries whose relative path matches (picomatch; "**" crosses folders).',
    }),
  };

  async run(): Promise<Entry[]> {
    const folder = await this.node(this.args.path);
    const stat = await folder.stat();
    const entries: Entry[] = [];
    const toEntry = (node: StorageNode, name: string): Entry => {
      const s = node.listed;
      return {
        path: this.show(node),
        name,
        isDir: Boolean(s?.isDir),
        size: s?.size ?? 0,
        ...(s?.mtime ? { mtime: s.mtime.toISOString() } : {}),
      };
    };
    if (!stat.isDir) {
      entries.push({
        path: this.show(folder),
        name: folder.basename,
        isDir: false,
        size: stat.size,
        ...(stat.mtime ? { mtime: stat.mtime.toISOString() } : {}),
      });
    } else {
      const prefix = folder.path === '' ? '' : `${folder.path}/`;
      const options = {
        ...(this.flags.recursive ? { recursive: true } : {}),
        ...(this.flags.glob ? { glob: this.flags.glob } : {}),
      };
      for await (const node of folder.list(options)) entries.push(toEntry(node, node.path.slice(prefix.length)));
    }
    const label = (e: Entry) => (e.isDir ? `${e.name}/` : e.name);
    if (this.flags.long) {
      this.out(
        table(
          entries.map((e) => [e.isDir ? 'dir' : 'file', e.isDir ? '-' : formatBytes(e.size), e.mtime ?? '-', label(e)]),
        ),
      );
    } else {
      for (const e of entries) this.out(label(e));
    }
    return entries;
  }
}
