import { Args, Flags } from '@oclif/core';
import { formatBytes, type UfsError } from '@org/core';
import { exitCodeForFailures } from '../errors.js';
import type { StorageNode } from '@org/storage';
import { JsonArrayOut } from '../output/json-stream.js';
import { stdoutBroken, writeOut } from '../output/stdout.js';
import { StorageCommand } from '../storage/storage-command.js';

interface Entry {
  path: string;
  name: string;
  isFile: boolean;
  isDir: boolean;
  size: number;
  mtime?: string;
}

export default class Ls extends StorageCommand<typeof Ls> {
  static override summary = 'List a folder of a mount (or a local folder).';
  static override description =
    'PATH is mount:path with mounts from the config file, or a local path. Folders are shown with a trailing "/". With --recursive every file and folder below is listed with its path relative to PATH. Entries are printed as the mount lists them (in its order), never held whole, so a folder of any size lists in constant memory; --json is one array, written entry by entry. A folder whose contents cannot be read is listed (with nothing below it) and reported on stderr; an entry that cannot be read at all (a link in a loop, a refused stat) or a name that can never be a key is reported and left out. The listing goes on, and the exit status is that of those failures.';
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

  async run(): Promise<void> {
    const folder = await this.node(this.args.path);
    const stat = await folder.stat();
    const json = this.jsonEnabled() ? (this.jsonOut = new JsonArrayOut()) : undefined;
    // One error per code reported: all the exit status needs, so memory stays constant however many there are.
    const failed = new Map<UfsError['code'], UfsError>();
    // A folder that cannot be read (listed, nothing below it), an entry that cannot be read or a name that can never
    // be a key (left out): one line on stderr each; the listing goes on, and the exit status says so, as `ls -R` does.
    const report = (error: UfsError) => {
      if (!failed.has(error.code)) failed.set(error.code, error);
      this.reportError(error);
    };
    const print = async (entry: Entry) => {
      if (json) await json.item(entry);
      else await writeOut(`${this.flags.long ? longLine(entry) : label(entry)}\n`);
    };
    if (!stat.isDir) {
      await print({
        path: this.show(folder),
        name: folder.basename,
        isFile: stat.isFile,
        isDir: false,
        size: stat.size,
        ...(stat.mtime ? { mtime: stat.mtime.toISOString() } : {}),
      });
    } else {
      const prefix = folder.path === '' ? '' : `${folder.path}/`;
      const options = {
        ...(this.flags.recursive ? { recursive: true } : {}),
        ...(this.flags.glob ? { glob: this.flags.glob } : {}),
        onUnreadable: report,
        onInvalidName: report,
      };
      for await (const node of folder.list(options)) {
        await print(this.entry(node, node.path.slice(prefix.length)));
        if (stdoutBroken()) return; // `ufs ls -r | head`: nobody reads the rest
      }
    }
    await json?.end();
    this.setExitStatus(exitCodeForFailures([...failed.values()]));
  }

  private entry(node: StorageNode, name: string): Entry {
    const s = node.listed;
    return {
      path: this.show(node),
      name,
      isFile: Boolean(s?.isFile),
      isDir: Boolean(s?.isDir),
      size: s?.size ?? 0,
      ...(s?.mtime ? { mtime: s.mtime.toISOString() } : {}),
    };
  }
}

const label = (e: Entry) => (e.isDir ? `${e.name}/` : e.name);

/** `--long`: fixed-width columns (type, size, mtime, name), so each line is printed as soon as it is listed. */
function longLine(e: Entry): string {
  const size = e.isDir ? '-' : formatBytes(e.size);
  return `${e.isDir ? 'dir ' : 'file'}  ${size.padStart(10)}  ${(e.mtime ?? '-').padEnd(24)}  ${label(e)}`;
}
