import { UfsError, isSha256Hex, type ErrorContext } from '@org/core';
import type { z } from 'zod';

/**
 * Parses input with a zod schema; INVALID_INPUT naming each bad field otherwise (never a 500). `context` goes on the
 * error (e.g. `record`: the index of a batch record, which errorResponse puts in the body).
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  context?: ErrorContext,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // A query (`what` names it) has parameters, a body has fields.
  const isQuery = what === 'query';
  // zod goes on checking a value of the wrong type (a string's length against an array's `.max()`): past the type
  // error, the other issues at the same place say nothing true, so they are left out.
  const wrongType = new Set(result.error.issues.filter((i) => i.code === 'invalid_type').map((i) => pathKey(i.path)));
  const relevant = result.error.issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(pathKey(i.path)));
  const issues = relevant.slice(0, 10).map((i) => {
    const at = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      const noun = isQuery && !at ? 'query parameter' : 'field';
      const names = i.keys.map((k) => JSON.stringify(k.slice(0, 100))).join(', ');
      return `unknown ${noun}${i.keys.length > 1 ? 's' : ''} ${names}${at ? ` in ${at}` : ''}`;
    }
    return `${at || (isQuery ? '(query)' : '(body)')}: ${i.message}`;
  });
  throw new UfsError('INVALID_INPUT', `[ufs] invalid ${what}: ${issues.join('; ')}`, context ? { context } : {});
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

export function sha256Param(value: unknown): string {
  if (!isSha256Hex(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
    throw new UfsError('INVALID_INPUT', `[ufs] sha256 must be 64 lowercase hex characters, got ${shown}`);
  }
  return value;
}
