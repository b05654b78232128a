/** The longest name an API key may have. */
export const KEY_NAME_MAX = 100;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A character as Unicode writes it: `U+000A`. */
export function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What is wrong with an API key's name, or undefined when nothing is: empty, longer than KEY_NAME_MAX characters,
 * only whitespace, or holding a control character (C0, DEL, C1: a newline or a NUL breaks `ufs server key list`'s
 * rows and the logs). The one rule, for POST /api_keys and `createApiKey`; `ufs server key create` (packages/cli
 * src/api/admin-flags.ts) keeps a copy, since it checks before loading this package: packages/cli
 * test/key-names.test.ts holds the two in step. The caller puts what it calls the name in front (`name`, `NAME`).
 */
export function keyNameProblem(name: string): string | undefined {
  if (name.length === 0) return `must not be empty (1–${KEY_NAME_MAX} characters)`;
  if (name.length > KEY_NAME_MAX) return `is longer than ${KEY_NAME_MAX} characters (${name.length})`;
  const control = CONTROL.exec(name);
  if (control) return `must not hold control characters (${codePoint(control[0])} at position ${control.index + 1})`;
  if (name.trim().length === 0) return 'must not be only whitespace';
  return undefined;
}
