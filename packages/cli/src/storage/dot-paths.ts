import { UfsError } from '@org/core';

/**
 * A path argument whose last segment is `.` or `..` (trailing slashes aside: `.`, `./`, `.//`, `../.`, `x/..`) names
 * the current folder or one above it, never what the user meant to delete or move away: `rm` and `mv` refuse it,
 * as GNU rm ("refusing to remove '.' or '..' directory") and GNU mv do. `mount:path` arguments never get here with
 * such segments (the storage refuses any `.` or `..` segment in a key).
 */
export function refuseDotEnding(command: 'rm' | 'mv', arg: string, path: string): void {
  const last = arg.replace(/\/+$/, '').split('/').pop();
  if (last !== '.' && last !== '..') return;
  const verb = command === 'rm' ? 'remove' : 'move';
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] ${command} "${arg}": refusing to ${verb} a "." or ".." folder (skipping it)`,
    {
      context: { operation: command, path },
    },
  );
}
