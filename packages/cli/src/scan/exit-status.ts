import { EXIT_CODE_BY_CODE, type UfsError } from '@org/core';

/**
 * The exit status of a scan that went to its end, from the failures it counted: 0 for none; else the status they
 * share, or 1 ("something failed") when they differ. A failure of one file is never a usage error: the command line
 * was right, the file (or its record) was not, so INVALID_INPUT counts as 65 (EX_DATAERR, like a file that changed
 * while it was scanned, INTEGRITY, or content over the server's limit, TOO_LARGE) instead of 64 (EX_USAGE).
 */
export function scanExitStatus(errors: readonly UfsError[]): number {
  if (errors.length === 0) return 0;
  const statuses = new Set(errors.map((e) => (e.code === 'INVALID_INPUT' ? 65 : EXIT_CODE_BY_CODE[e.code])));
  return statuses.size === 1 ? [...statuses][0]! : 1;
}
