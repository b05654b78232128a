import { Errors, Flags } from '@oclif/core';
import { UfsError, formatBytes, readDuration } from '@org/core';
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
 * what the earlier had just written, and a move would delete both sources (data lost). A mount's root puts its
 * contents into DEST itself, so each of its top-level entries takes its name there (listed one level, page by page,
 * only when a root is among the sources). Found before anything is transferred, in the order of the sources: a later
 * source that would write a name already taken is refused as a whole (INVALID_INPUT naming both and the name; a
 * refused source is left where it is and takes no name), as GNU cp and mv will not overwrite a just-created file; the
 * other sources go on. Only a source that will really be transferred takes a name: one that fails on its own (not
 * there, or any other error) does not; the same source typed twice is not refused (the same content: cp copies it
 * again, and mv finds it gone). The index of each refused source → its error; `shown` writes a path for the error's
 * context (`clashesWith`).
 */
export async function sameNameRefusals(
  operation: 'copy' | 'move',
  sources: ReadonlyArray<StorageNode | undefined>,
  dest: StorageNode,
  shown: (fullpath: string) => string,
): Promise<Map<number, UfsError>> {
  const ignoresCase = dest.capabilities.caseInsensitive === true;
  const key = (name: string) => (ignoresCase ? name.normalize('NFC').toLowerCase() : name);
  const plainKeys = new Map<string, number>();
  let lastRoot = -1;
  sources.forEach((src, index) => {
    if (src?.isRoot) lastRoot = index;
    else if (src !== undefined) plainKeys.set(key(src.basename), (plainKeys.get(key(src.basename)) ?? 0) + 1);
  });
  const refusals = new Map<number, UfsError>();
  // The common case (no root, no name twice) needs no request at all.
  if (lastRoot < 0 && [...plainKeys.values()].every((count) => count < 2)) return refusals;
  const there = await Promise.all(
    sources.map((src) =>
      src === undefined || src.isRoot || (lastRoot < 0 && plainKeys.get(key(src.basename))! < 2) ? false : present(src),
    ),
  );
  // Each name taken → the source that takes it and the name it writes there.
  const taken = new Map<string, { src: StorageNode; name: string }>();
  const sameSource = (a: StorageNode, b: StorageNode) => a.fullpath === b.fullpath && a.versionId === b.versionId;
  for (const [index, src] of sources.entries()) {
    if (src === undefined) continue;
    if (!src.isRoot) {
      if (!there[index]) continue;
      const earlier = taken.get(key(src.basename));
      if (earlier === undefined) taken.set(key(src.basename), { src, name: src.basename });
      else if (!sameSource(earlier.src, src)) {
        refusals.set(index, sameNameError(operation, { src, name: src.basename }, earlier, dest, shown));
      }
      continue;
    }
    if (sources.slice(0, index).some((other) => other !== undefined && sameSource(other, src))) continue;
    // A root's names are kept only where a later source could clash with them (bounded by the plain sources unless
    // another root follows).
    const keep = index < lastRoot;
    const names: Array<[string, string]> = [];
    let clash: { name: string; earlier: { src: StorageNode; name: string } } | undefined;
    try {
      for await (const child of src.list({ recursive: false, onInvalidName: () => {} })) {
        const earlier = taken.get(key(child.basename));
        if (earlier !== undefined) {
          clash = { name: child.basename, earlier };
          break;
        }
        if (keep || plainKeys.has(key(child.basename))) names.push([key(child.basename), child.basename]);
      }
    } catch {
      continue; // not listable: it fails on its own, and takes no name
    }
    if (clash) refusals.set(index, sameNameError(operation, { src, name: clash.name }, clash.earlier, dest, shown));
    else for (const [k, name] of names) taken.set(k, { src, name });
  }
  return refusals;
}

/** Whether a source is there to be transferred: any failure (not there, "is a file, not a folder"…) means it is not. */
async function present(node: StorageNode): Promise<boolean> {
  try {
    await node.stat();
    return true;
  } catch {
    return false;
  }
}

/** A source (`a/x`, or a mount's root) with the name it would write in DEST (its own, or one of the root's entries). */
interface Named {
  src: StorageNode;
  name: string;
}

function sameNameError(
  operation: 'copy' | 'move',
  later: Named,
  first: Named,
  dest: StorageNode,
  shown: (fullpath: string) => string,
): UfsError {
  const src = later.src;
  const target = dest.child(later.name).fullpath;
  const taken = dest.child(first.name).fullpath;
  const not = operation === 'copy' ? 'not copied' : 'not moved, it stays where it is';
  const earlier = first.src.isRoot
    ? `"${first.src.child(first.name).fullpath}", in an earlier source (the mount root "${first.src.fullpath}", whose contents go into the destination),`
    : `"${first.src.fullpath}", an earlier source${later.name === first.name ? ' of the same name' : ''},`;
  const thisOne = src.isRoot
    ? `this one's "${later.name}" (a mount root: its contents go into the destination)`
    : 'this one';
  const caseNote =
    later.name === first.name
      ? ''
      : ', the same name where case is ignored (the destination does not tell upper from lower case)';
  const why = `${earlier} goes to "${taken}"${caseNote}, and ${thisOne} would overwrite it`;
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] ${operation === 'copy' ? 'cp' : 'mv'} "${src.fullpath}": ${not}: ${why}`,
    {
      context: { operation, path: src.fullpath, dest: target, clashesWith: shown(first.src.fullpath) },
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
