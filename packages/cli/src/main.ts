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
    await run([...argv], import.meta.url);
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
