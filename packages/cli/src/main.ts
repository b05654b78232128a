import { readFileSync } from 'node:fs';
import { loadCliRunner } from './lazy.js';
import { interruptedBy, signalStatus } from './interrupt.js';
import { drained, stdoutEndStatus, watchStdout } from './output/stdout.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function exitOf(err: unknown): number | undefined {
  const exit = (err as { oclif?: { exit?: unknown } } | null)?.oclif?.exit;
  return typeof exit === 'number' && (err as Error).message?.startsWith('EEXIT') ? exit : undefined;
}

/**
 * The status that overrides the command's own: a stop signal (SIGINT 130, SIGTERM 143, SIGHUP 129, see interrupt.ts),
 * else a stdout that failed: its reader went away (141, quietly, as a C tool killed by SIGPIPE), or a write error
 * (one line naming it, printed once, and the status of its code).
 */
function endStatus(): number | undefined {
  const signal = interruptedBy();
  if (signal) return signalStatus(signal);
  return stdoutEndStatus();
}

/** The flags every command takes (BaseCommand's `baseFlags` and `--json`), and whether each takes a value. */
const GLOBAL_FLAGS: Readonly<Record<string, boolean>> = {
  '--config': true,
  '--json': false,
  '--verbose': false,
  '-V': false,
};
const HELP_OR_VERSION = new Set(['--help', '-h', '--version', '-v']);

/**
 * The command line with the global flags typed before the command name (`ufs --config c.yaml ls a:`, as git, kubectl
 * and rclone take them) moved after it, where oclif reads them: after the command's words (`server verify`) and
 * before any other flag or `--`. A command line that does not begin with a flag is returned as it is. `problem` says
 * what is wrong with a leading flag that is not global, or a `--config` without its value.
 */
export function globalFlagsFirst(argv: readonly string[]): { argv: string[]; problem?: string } {
  const hoisted: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i]!;
    const [name, value] = token.startsWith('--') && token.includes('=') ? token.split(/=(.*)/s, 2) : [token, undefined];
    if (!(name! in GLOBAL_FLAGS)) break;
    if (!GLOBAL_FLAGS[name!]) {
      if (value !== undefined) return { argv: [...argv], problem: `flag ${name} takes no value (see ufs --help)` };
      hoisted.push(token);
    } else if (value !== undefined) hoisted.push(token);
    else if (i + 1 < argv.length) hoisted.push(`${name}=${argv[++i]}`);
    else return { argv: [...argv], problem: `flag ${name} needs a value (see ufs --help)` };
  }
  if (hoisted.length === 0 && !argv[0]?.startsWith('-')) return { argv: [...argv] };
  const rest = argv.slice(i);
  const first = rest[0];
  if (first === undefined)
    return { argv: [...argv], problem: `no command after ${hoisted.join(' ')} (see ufs --help)` };
  if (HELP_OR_VERSION.has(first)) return { argv: [...rest, ...hoisted] };
  if (first.startsWith('-') && first !== '-') {
    const known = Object.keys(GLOBAL_FLAGS).join(', ');
    return {
      argv: [...argv],
      problem: `unknown flag "${first}" before the command (before it go only ${known}; see ufs --help)`,
    };
  }
  // The command's words end at the first flag or `--`; its own arguments may follow them, and flags go anywhere.
  const at = rest.findIndex((token) => token.startsWith('-') && token !== '-');
  const end = at === -1 ? rest.length : at;
  return { argv: [...rest.slice(0, end), ...hoisted, ...rest.slice(end)] };
}

/** Resolves once what was written to `stream` is handed to the OS, or the stream can take no more. */
function written(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) return Promise.resolve();
  // Callbacks come in order: this one once every write before it is done (or failed: a reader gone, EPIPE).
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/**
 * Ends the process with `status` once the command's output is out: what was written to stdout and stderr is handed
 * to the OS first (a slow reader is waited for, a reader gone ends the wait), so nothing is cut short. A library may
 * leave a timer or a socket behind after a failure (the GCS SDK's reply-body timer after a stalled request, up to
 * its connect + request timeouts): the command is over, and the process does not wait for them. `ufs serve` gets
 * here only once it is stopped; the stop signals' handling is onInterrupt's (interrupt.ts).
 */
export async function exitWhenWritten(status: number): Promise<never> {
  process.exitCode = status;
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(status);
}

/** Entry point of the `ufs` binary (oclif); returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  // Everything else (oclif, the error table, the config loader) is loaded only past the bare version check.
  const { run, asUfsError, details, exitCodeFor, oneLine, debugOn, quietKnownWarnings } = await loadCliRunner();
  quietKnownWarnings();
  watchStdout();
  try {
    const typed = globalFlagsFirst(argv);
    if (typed.problem !== undefined) {
      const { UfsError } = await import('@org/core');
      throw new UfsError('INVALID_INPUT', `[ufs] ${typed.problem}`);
    }
    await run(typed.argv, import.meta.url);
    // Waits for stdout to take the output; a reader that went away (`| head`) ends the wait (no unsettled await).
    await drained();
    return endStatus() ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
  } catch (err) {
    await drained();
    const ended = endStatus();
    if (ended !== undefined) return ended;
    const exit = exitOf(err);
    if (exit !== undefined) return exit;
    // Failures before a command runs (unknown command, broken plugin): same one-line rule as the base command.
    const error = asUfsError(err);
    const end = argv.indexOf('--');
    const flags = end === -1 ? argv : argv.slice(0, end);
    const verbose = flags.includes('--verbose') || flags.includes('-V') || debugOn();
    process.stderr.write(`${verbose ? details(error) : oneLine(error.message)}\n`);
    return exitCodeFor(error);
  }
}
