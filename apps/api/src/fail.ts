import { EXIT_CODE_BY_CODE, toUfsError } from '@org/core';

/**
 * Ends an entry point that failed: one line on stderr naming what went wrong, and the exit status of its error code
 * (the same table as the `ufs` command: 78 bad configuration, 69 a service that does not answer, 70 an unexpected
 * failure such as a port already in use, …). The stack is printed only for an unexpected error with `DEBUG` set.
 */
export function exitWithError(err: unknown, operation: string): never {
  const error = toUfsError(err, { operation });
  process.stderr.write(`${error.message}\n`);
  if (error.code === 'UNEXPECTED' && process.env.DEBUG && err instanceof Error && err.stack)
    process.stderr.write(`${err.stack}\n`);
  process.exit(EXIT_CODE_BY_CODE[error.code]);
}
