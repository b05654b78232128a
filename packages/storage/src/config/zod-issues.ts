import type { z } from 'zod';
import { formatKeyPath } from './interpolate.js';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** Turns zod issues into one readable line: `"bucket" is required; unknown key "bukket"`. */
export function describeIssues(error: z.ZodError, input: unknown, prefix: readonly PropertyKey[] = []): string {
  return error.issues
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => `"${formatKeyPath([...path, k])}"`).join(', ');
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
      }
      const where = path.length > 0 ? `"${formatKeyPath(path)}"` : 'the mount';
      if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) return `${where} is required`;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
