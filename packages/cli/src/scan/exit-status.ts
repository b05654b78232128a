import { EXIT_CODE_BY_CODE, type UfsError } from '@org/core';

/**
 * The exit status of one file's failure in a scan: its code's, except that a failure of one file is never a usage
 * error: the command line was right, the file (or its record) was not, so INVALID_INPUT counts as 65 (EX_DATAERR, like
 * a file that changed while it was scanned, INTEGRITY, or content over the server's limit, TOO_LARGE) instead of 64
 * (EX_USAGE); and a local file or folder that cannot be read (PERMISSION_DENIED without the server's context: EACCES,
 * EPERM) counts as 66 (EX_NOINPUT, "an input file did not exist or was not readable", like a file gone) instead of 77:
 * in a scan 77 is the server refusing the API key, which stops the scan.
 */
export function fileFailureStatus(error: UfsError): number {
  if (error.code === 'INVALID_INPUT') return 65;
  if (error.code === 'PERMISSION_DENIED' && error.context.backend !== 'server') return 66;
  return EXIT_CODE_BY_CODE[error.code];
}

/**
 * The exit status of a scan that went to its end, from the failures it counted: 0 for none; else the status they
 * share (fileFailureStatus), or 1 ("something failed") when they differ.
 */
export function scanExitStatus(errors: readonly UfsError[]): number {
  if (errors.length === 0) return 0;
  const statuses = new Set(errors.map(fileFailureStatus));
  return statuses.size === 1 ? [...statuses][0]! : 1;
}
