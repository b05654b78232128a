/** The longest name an API key of the dedup server may have. */
export const KEY_NAME_MAX = 100;

// C0 controls, DEL and C1 controls: a newline or a NUL in a name breaks rows; an escape would be run by terminals.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A character as Unicode writes it: `U+000A`. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The position (1-based, in characters as `[...text]` counts them) and the code unit (`U+D800`) of the first unpaired
 * UTF-16 surrogate in `text`, or undefined when it is well-formed. JSON may carry one (`"\ud800"`), but no UTF-8
 * store can keep it: SQLite and MongoDB would keep U+FFFD instead, a value the client never sent.
 */
export function unpairedSurrogate(text: string): { position: number; codeUnit: string } | undefined {
  // Lone surrogates are single elements of `[...text]`; a pair is one.
  const chars = [...text];
  const at = chars.findIndex((char) => char.length === 1 && /[\ud800-\udfff]/.test(char));
  return at < 0 ? undefined : { position: at + 1, codeUnit: codePoint(chars[at]!) };
}

/**
 * What is wrong with the name of a dedup server's API key, or undefined when nothing is: empty, longer than
 * KEY_NAME_MAX characters, holding a control character (C0, DEL, C1: a newline or a NUL breaks `ufs server key
 * list`'s rows and the logs) or an unpaired surrogate (unpairedSurrogate: it would be stored as U+FFFD), or only
 * whitespace. The one rule, for POST /api_keys, `createApiKey` and `ufs server key
 * create` (which checks before anything is sent or opened). The caller puts what it calls the name in front (`name`,
 * `NAME`).
 */
export function keyNameProblem(name: string): string | undefined {
  // Counted in characters (code points), as "1–100 characters" says: an emoji such as 🔑 is one, not two UTF-16 units.
  const chars = [...name];
  if (chars.length === 0) return `must not be empty (1–${KEY_NAME_MAX} characters)`;
  if (chars.length > KEY_NAME_MAX) return `is longer than ${KEY_NAME_MAX} characters (${chars.length})`;
  const at = chars.findIndex((char) => CONTROL.test(char));
  if (at >= 0) return `must not hold control characters (${codePoint(chars[at]!)} at position ${at + 1})`;
  const lone = unpairedSurrogate(name);
  if (lone)
    return `must be well-formed Unicode: it holds an unpaired surrogate (${lone.codeUnit} at position ${lone.position}), which cannot be stored`;
  if (name.trim().length === 0) return 'must not be only whitespace';
  return undefined;
}
