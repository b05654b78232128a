import { KEY_NAME_MAX, keyNameProblem as utf16KeyNameProblem } from '@org/core';

/** A character outside the Basic Multilingual Plane (an emoji such as 🔑): two UTF-16 units, one character. */
const ASTRAL = /[\u{10000}-\u{10FFFF}]/gu;

/**
 * What is wrong with the name of an API key, or undefined when nothing is: @org/core's rule (empty, control
 * characters, only whitespace), with the length and the positions counted in characters (code points), as "1–100
 * characters" says: 100 🔑 are 100 characters, not 200. For POST /api_keys and `createApiKey`.
 */
export function keyNameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length > KEY_NAME_MAX) return `is longer than ${KEY_NAME_MAX} characters (${length})`;
  // Each astral character as one unit: the rest of the rule (and its positions) then counts characters.
  return utf16KeyNameProblem(name.replace(ASTRAL, 'x'));
}
