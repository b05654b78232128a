import { UfsError } from '@org/core';

/** Opaque page cursors: base64url of a JSON array of strings. A tampered cursor is INVALID_INPUT, never a 500. */
export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== length || !parsed.every((p) => typeof p === 'string')) {
    throw new UfsError('INVALID_INPUT', '[ufs] invalid page cursor (use the cursor of the previous page as is)');
  }
  return parsed as string[];
}

/** Escapes a literal for use inside a regular expression (Mongo prefix queries). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
