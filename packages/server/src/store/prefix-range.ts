const MAX_CODE_POINT = 0x10ffff;

/**
 * The range of strings that start with `prefix`, for an index scan: `[prefix, upper)`, in code point order (which is
 * UTF-8 byte order, SQLite's BINARY collation). `upper` is the prefix with its last code point incremented, carrying
 * past U+10FFFF (and skipping the surrogates); undefined when no string is greater than all of them (a prefix made
 * only of U+10FFFF). Appending U+10FFFF to the prefix instead would miss paths that have U+10FFFF right after it.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.length > 0 && points.at(-1) === MAX_CODE_POINT) points.pop();
  if (points.length === 0) return undefined;
  let next = points.pop()! + 1;
  if (next === 0xd800) next = 0xe000;
  return String.fromCodePoint(...points, next);
}
