import { readFileSync } from 'node:fs';
import { loadCliRunner } from './lazy.js';

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
  const { flush, run, asUfsError, details, exitCodeFor, oneLine, debugOn, quietKnownWarnings } = await loadCliRunner();
  quietKnownWarnings();
  try {
    await run([...argv], import.meta.url);
    await flush();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    await flush().catch(() => undefined);
    const exit = exitOf(err);
    if (exit !== undefined) return exit;
    // Failures before a command runs (unknown command, broken plugin): same one-line rule as the base command.
    const error = asUfsError(err);
    const verbose = argv.includes('--verbose') || debugOn();
    process.stderr.write(`${verbose ? details(error) : oneLine(error.message)}\n`);
    return exitCodeFor(error);
  }
}
