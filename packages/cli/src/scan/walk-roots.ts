import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, normalize, parse, sep } from 'node:path';

let commandLine: Buffer[] | undefined;

/** This process's arguments as the bytes it was given (Linux: /proc/self/cmdline), or none where they cannot be read. */
function rawArguments(): Buffer[] {
  if (commandLine) return commandLine;
  commandLine = [];
  try {
    const bytes = readFileSync('/proc/self/cmdline');
    for (let start = 0; start < bytes.length;) {
      let end = bytes.indexOf(0, start);
      if (end < 0) end = bytes.length;
      commandLine.push(bytes.subarray(start, end));
      start = end + 1;
    }
  } catch {
    // not Linux: the listing of the folders decides
  }
  return commandLine;
}

interface FlagSpec {
  type?: string;
  char?: string;
}

/**
 * The PATH arguments of this `ufs scan` as the bytes they were given, in order: the command line after node's own
 * options (as many as `process.argv` has), read as oclif reads it — `--` ends the flags, a flag of type option takes
 * the next argument unless written `--flag=value` or `-xvalue` — with the flags of the scan command from the
 * shipped oclif manifest. Undefined when that cannot be told (no /proc, no manifest, another command, bytes that do
 * not read as `process.argv`).
 */
function pathArguments(): Buffer[] | undefined {
  const raw = rawArguments();
  const count = process.argv.length - 2;
  if (count < 1 || raw.length < count) return undefined;
  const given = raw.slice(raw.length - count);
  if (given.some((bytes, i) => bytes.toString('utf8') !== process.argv[i + 2])) return undefined;
  let flags: Record<string, FlagSpec>;
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
      commands?: Record<string, { flags?: Record<string, FlagSpec> }>;
    };
    flags = manifest.commands?.scan?.flags ?? {};
  } catch {
    return undefined;
  }
  if (Object.keys(flags).length === 0) return undefined;
  const takesValue = (token: string): boolean | undefined => {
    const spec = token.startsWith('--')
      ? flags[token.slice(2)]
      : Object.values(flags).find((flag) => flag.char === token.slice(1));
    return spec ? spec.type === 'option' : undefined;
  };
  const paths: Buffer[] = [];
  let command = false;
  for (let i = 0; i < given.length; i++) {
    const token = given[i]!.toString('utf8');
    if (token === '--') {
      paths.push(...given.slice(i + 1));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      if (token.includes('=') || (!token.startsWith('--') && token.length > 2)) continue;
      const value = takesValue(token);
      if (value === undefined && !token.startsWith('--no-')) return undefined; // a flag not known: cannot tell
      if (value) i++;
      continue;
    }
    if (!command) {
      if (token !== 'scan') return undefined;
      command = true;
      continue;
    }
    paths.push(given[i]!);
  }
  return command ? paths : undefined;
}

/**
 * The bytes given for the root `arg`, the `index`-th PATH (the walk's roots are the PATHs, in order). Undefined when
 * they cannot be told, or do not read as `arg` (roots that are not this command's PATHs).
 */
function givenBytes(arg: string, index: number): Buffer | undefined {
  const bytes = pathArguments()?.[index];
  return bytes?.toString('utf8') === arg ? bytes : undefined;
}

/**
 * Whether a root given as text holding U+FFFD stands for a name that is not valid UTF-8. Node decodes the command line
 * lossily (each bad byte becomes U+FFFD), so such a root would name no file (ENOENT), or another file whose name really
 * holds U+FFFD. The bytes of the command line decide when they can be read and tell the argument apart (by `index`,
 * the root's position among the PATHs, see `givenBytes`, or when every argument so read has the same bytes);
 * otherwise a name in a folder on the root's path that is not valid UTF-8 and reads as that folder's part of the root
 * does (the root is refused even when a file really so named is there too: which one was meant is not known).
 */
export function rootNotUtf8(arg: string, path: string, index: number): boolean {
  if (!arg.includes('\uFFFD') && !path.includes('\uFFFD')) return false;
  const asText = Buffer.from(arg, 'utf8');
  // By position when the PATHs can be told apart from the flags (`bad\xff` and `bad\uFFFD` given together).
  const bytes = givenBytes(arg, index);
  if (bytes) return !bytes.equals(asText);
  const given = rawArguments().filter((raw) => raw.toString('utf8') === arg);
  if (given.length > 0 && given.every((raw) => !raw.equals(asText))) return true;
  if (given.length > 0 && given.every((raw) => raw.equals(asText))) return false;
  const { root } = parse(path);
  const parts = path.slice(root.length).split(sep);
  let dir = root;
  for (const part of parts) {
    if (part.includes('\uFFFD')) {
      const bytes = Buffer.from(part, 'utf8');
      let names: Buffer[];
      try {
        names = readdirSync(dir, { encoding: 'buffer' });
      } catch {
        return false; // the root itself then fails as what it is (not found, permission denied)
      }
      if (names.some((name) => !name.equals(bytes) && name.toString('utf8') === part)) return true;
    }
    dir = join(dir, part);
  }
  return false;
}

/**
 * The last name of a root as given (`t/a.tmp` → `a.tmp`, `t/sub/` → `sub`), matched by --exclude as rsync matches a
 * source's name; none for `.`, `..` or `/`, which name a folder without naming an entry of another.
 */
export function rootName(arg: string): string | undefined {
  const name = basename(normalize(arg));
  return name === '' || name === '.' || name === '..' ? undefined : name;
}

/**
 * Where a root really is, to find roots walked twice: the real path of what is walked (a folder, or the file a link
 * leads to when it is followed), or the real path of the folder holding a file or a link recorded as a link.
 */
export function realLocation(path: string, followed: boolean): string {
  try {
    if (followed) return realpathSync.native(path);
    const parent = dirname(path);
    return parent === path ? path : join(realpathSync.native(parent), basename(path));
  } catch {
    return path;
  }
}
