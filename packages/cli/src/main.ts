import { readFileSync } from 'node:fs';
import { toUfsError } from '@org/core';
import { EXIT_CODE_BY_CODE } from './exit-codes.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `ufs ${pkg.version} — move files where they need to go

Usage: ufs <command> [options]

Options:
  --version   print the version
  --help      print this help
`;

/** Entry point of the `ufs` binary; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [first] = argv;
    if (first === '--version' || first === '-v') {
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    process.stderr.write(`ufs: unknown command "${first}" (see ufs --help)\n`);
    return EXIT_CODE_BY_CODE.INVALID_INPUT;
  } catch (err) {
    const error = toUfsError(err);
    process.stderr.write(`ufs: ${error.message}\n`);
    return EXIT_CODE_BY_CODE[error.code];
  }
}
