import { Errors, Flags } from '@oclif/core';
import { UfsError, formatBytes, isUfsError, readDuration } from '@org/core';
import type { CopyOptions, CopySummary, StorageNode } from '@org/storage';
import type { ProgressLine } from '../output/progress.js';

/** How --include/--exclude patterns read (cp and mv). */
export const PATTERNS =
  'Patterns of --include and --exclude are globs on paths relative to the source folder, read the way .gitignore lines and rclone filters are: a pattern without "/" matches a name at any level ("*.md"; "docs": a file so named, or a folder with everything in it); a trailing "/" matches folders only ("node_modules/"); a leading "/", or one inside, anchors it to the source folder ("/a.md": the top-level a.md only; "docs/*.md"); "docs/**" is everything below the top-level docs folder. "*" stays within a folder, "**" crosses folders, dot files match; --exclude wins over --include.';

/** Flags shared by `cp` and `mv`. */
export const transferFlags = {
  skip: Flags.string({
    description:
      'Leave a file alone when the destination has it: never, exists, size (same size), modtime (same size and modification time, as rclone; by size alone where the destination cannot keep times), hash (same content).',
    options: ['never', 'exists', 'size', 'modtime', 'hash'],
    default: 'never',
  }),
  'modify-window': Flags.string({
    description:
      "How far apart two modification times may be and still be equal, for --skip modtime: 0, 500ms, 2s (a bare number is seconds; at most 1 day). Default 0: the backends' precision decides (1 ms between local, memory and object stores, 1 s with SFTP); a larger window widens it.",
    default: '0',
    helpValue: '<duration>',
    parse: async (input: string) => {
      modifyWindowMs(input); // refused here, as a usage error, before anything is copied
      return input;
    },
  }),
  'no-modtime': Flags.boolean({
    description: "Do not give copies their source's modification time (by default they keep it where they can).",
  }),
  include: Flags.string({
    char: 'i',
    description:
      'Only files matching this pattern (repeatable): "*.md" or "docs" at any level, "/a.md" at the top only, "node_modules/" folders only, "docs/**" below the top-level docs folder.',
    multiple: true,
    multipleNonGreedy: true,
  }),
  exclude: Flags.string({
    char: 'x',
    description:
      'Leave out files and folders matching this pattern (read as --include; repeatable; wins over --include), e.g. -x node_modules/ -x "*.tmp".',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'no-clobber': Flags.boolean({
    char: 'n',
    description: 'Never replace an existing file (it is reported as ALREADY_EXISTS).',
  }),
  concurrency: Flags.integer({
    char: 'c',
    description: 'Files transferred at once.',
    default: 4,
    min: 1,
    max: 64,
  }),
  'fail-fast': Flags.boolean({ description: 'Stop at the first failed file.' }),
};

/**
 * The USAGE line of `cp`/`mv`: `SOURCE... DEST [flags]`. Written here because the manifest oclif builds drops the
 * variadic mark of an argument, and its help would then show `SOURCE DEST` (or, without it, `SRC... DEST...`).
 */
export const TRANSFER_USAGE = '<%= command.id %> SOURCE... DEST [FLAGS]';

export interface TransferFlags {
  skip: string;
  'modify-window': string;
  'no-modtime': boolean;
  include?: string[];
  exclude?: string[];
  'no-clobber': boolean;
  concurrency: number;
  'fail-fast': boolean;
}

/**
 * Where SRC goes. One folder: its contents go to DEST itself (like rclone/rsync `src/`), so running the same
 * command again with --skip is a sync, not a nested copy. A file: into DEST when DEST is an existing folder or is
 * written with a trailing `/` (or `mount:`), else to DEST itself. Several sources: each into the folder DEST under
 * its own name.
 */
export async function destinationFor(src: StorageNode, dest: StorageNode, destArg: string, manySources: boolean) {
  if (manySources) return src.isRoot ? dest : dest.child(src.basename);
  if (await src.isDir()) return dest;
  const intoFolder = destArg.endsWith('/') || destArg.endsWith(':') || (await dest.isDir());
  return intoFolder ? dest.child(src.basename) : dest;
}

/**
 * Several sources go into DEST under their own names (`destinationFor`), so two of one name (`a/x` and `b/x`; `X` and
 * `x` where the destination does not tell upper from lower case) would go to one place: the later would overwrite
 * what the earlier had just written, and a move would delete both sources (data lost). Found before anything is
 * transferred: each later source of a name already taken is refused (INVALID_INPUT naming both; a refused source is
 * left where it is), as GNU cp and mv will not overwrite a just-created file; the other sources go on. A source that
 * is not there takes no name (it fails on its own), nor does a mount's root (its contents go to DEST itself); the
 * same source typed twice is not refused (the same content: cp copies it again, and mv finds it gone). The
 * index of each refused source → its error; `shown` writes a path for the error's context (`clashesWith`).
 */
export async function sameNameRefusals(
  operation: 'copy' | 'move',
  sources: ReadonlyArray<StorageNode | undefined>,
  dest: StorageNode,
  shown: (fullpath: string) => string,
): Promise<Map<number, UfsError>> {
  const ignoresCase = dest.capabilities.caseInsensitive === true;
  const byName = new Map<string, number[]>();
  sources.forEach((src, index) => {
    if (src === undefined || src.isRoot) return;
    const name = ignoresCase ? src.basename.normalize('NFC').toLowerCase() : src.basename;
    byName.set(name, [...(byName.get(name) ?? []), index]);
  });
  const refusals = new Map<number, UfsError>();
  for (const indexes of byName.values()) {
    if (indexes.length < 2) continue;
    const there = await Promise.all(indexes.map((index) => present(sources[index]!)));
    const taking = indexes.filter((_, i) => there[i]);
    if (taking.length < 2) continue;
    const first = sources[taking[0]!]!;
    for (const index of taking.slice(1)) {
      const src = sources[index]!;
      // The same source typed again is no other content (cp copies it again, mv finds it gone): left as it was.
      if (src.fullpath === first.fullpath && src.versionId === first.versionId) continue;
      refusals.set(index, sameNameError(operation, src, first, dest, shown));
    }
  }
  return refusals;
}

/** Whether a source is there to be transferred: NOT_FOUND is not; any other failure may still take its name. */
async function present(node: StorageNode): Promise<boolean> {
  try {
    await node.stat();
    return true;
  } catch (err) {
    return !(isUfsError(err) && err.code === 'NOT_FOUND');
  }
}

function sameNameError(
  operation: 'copy' | 'move',
  src: StorageNode,
  first: StorageNode,
  dest: StorageNode,
  shown: (fullpath: string) => string,
): UfsError {
  const target = dest.child(src.basename).fullpath;
  const taken = dest.child(first.basename).fullpath;
  const not = operation === 'copy' ? 'not copied' : 'not moved, it stays where it is';
  const why =
    src.basename === first.basename
      ? `"${first.fullpath}", an earlier source of the same name, goes to "${taken}", and this one would overwrite it`
      : `"${first.fullpath}", an earlier source, goes to "${taken}", the same name where case is ignored (the destination does not tell upper from lower case), and this one would overwrite it`;
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] ${operation === 'copy' ? 'cp' : 'mv'} "${src.fullpath}": ${not}: ${why}`,
    {
      context: { operation, path: src.fullpath, dest: target, clashesWith: shown(first.fullpath) },
    },
  );
}

/** With several sources DEST must be a folder (or not exist yet): checked once, before anything is transferred. */
export async function checkFolderDestination(dest: StorageNode, destArg: string): Promise<void> {
  if ((await dest.exists()) && !(await dest.isDir())) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] "${destArg}" is not a folder: with several sources the destination must be one`,
    );
  }
}

/** The widest `--modify-window`: one day (the library's limit). */
const MAX_MODIFY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * `--modify-window` in milliseconds: `0`, `250ms`, `1s`, `1.5s`; a bare number is seconds (as rclone). At most one
 * day: a wider window would call files days apart the same.
 */
export function modifyWindowMs(value: string): number {
  const reading = readDuration(value, { bare: 's', zero: true });
  if (!reading.ok) {
    throw new Errors.CLIError(`Expected --modify-window as a duration such as 0, 500ms or 2s but received: ${value}`);
  }
  if (!(reading.ms <= MAX_MODIFY_WINDOW_MS)) {
    throw new Errors.CLIError(`Expected --modify-window of at most 1 day (24h) but received: ${value}`);
  }
  return reading.ms;
}

export function copyOptions(
  flags: TransferFlags,
  progress: ProgressLine,
  named: (node: StorageNode | string) => string,
  onFile: (line: string) => void,
): CopyOptions {
  return {
    skip: flags.skip as CopyOptions['skip'],
    modifyWindow: modifyWindowMs(flags['modify-window']),
    preserveModified: !flags['no-modtime'],
    ...(flags.include?.length ? { include: flags.include } : {}),
    ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
    overwrite: !flags['no-clobber'],
    concurrency: flags.concurrency,
    failFast: flags['fail-fast'],
    onProgress: ({ loaded, total, item }) =>
      progress.update(
        () =>
          `${formatBytes(loaded)}${total !== undefined ? ` / ${formatBytes(total)}` : ''}  ${item ? named(item) : ''}`,
      ),
    onFile: ({ src, dest, bytes, method }) =>
      onFile(`${named(src.fullpath)} → ${named(dest)} (${formatBytes(bytes)}, ${method})`),
    onSkip: ({ src, reason }) => onFile(`skipped ${named(src.fullpath)} (${reason})`),
  };
}

/** Adds one summary into the running total. */
export function addSummary(total: CopySummary, one: CopySummary): void {
  total.files += one.files;
  total.bytes += one.bytes;
  total.skipped += one.skipped;
  total.errors.push(...one.errors);
}

export function summaryLine(verb: string, s: CopySummary): string {
  return `${verb} ${s.files} file${s.files === 1 ? '' : 's'} (${formatBytes(s.bytes)}), skipped ${s.skipped}, failed ${s.errors.length}`;
}
