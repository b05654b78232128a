import { readFileSync } from 'node:fs';
import { loadCliRunner } from './lazy.js';
import { BROKEN_PIPE_STATUS, drained, stdoutBroken, watchStdout } from './output/stdout.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function exitOf(err: unknown): number | undefined {
  const exit = (err as { oclif?: { exit?: unknown } } | null)?.oclif?.exit;
  return typeof exit === 'number' && (err as Error).message?.startsWith('EEXIT') ? exit : undefined;
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
    if (stdoutBroken()) return BROKEN_PIPE_STATUS;
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    await drained();
    // The reader of stdout went away: stop quietly, as a C tool killed by SIGPIPE would (141, no message).
    if (stdoutBroken()) return BROKEN_PIPE_STATUS;
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
