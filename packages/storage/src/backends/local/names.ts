import { isUtf8 } from 'node:buffer';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';

/**
 * A name read from a folder as bytes (`readdir` with `encoding: 'buffer'`). Decoded as UTF-8 by `readdir` itself, a
 * name that is not valid UTF-8 comes back with U+FFFD in place of its bad bytes: a path built from that names no
 * file (ENOENT, taken for an entry removed meanwhile) or another one whose name really holds U+FFFD.
 */
export interface ReadName {
  /** The name as text (U+FFFD in place of bytes that are not UTF-8). */
  name: string;
  /** The bytes of a name that is not valid UTF-8 (no key can name it); undefined for every other name. */
  notUtf8?: Buffer;
}

/** The text of a name read as bytes; its bytes are kept only when they are not valid UTF-8. */
export function readName(bytes: Buffer): ReadName {
  const name = bytes.toString('utf8');
  // U+FFFD is rare in real names: the full check runs only for those that hold it.
  if (!name.includes('\uFFFD') || isUtf8(bytes)) return { name };
  return { name, notUtf8: bytes };
}

/** The bytes of a name for a message: printable ASCII as is, every other byte as `\xNN` (`"bad\xff\xfe.txt"`). */
export function escapedBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${out}"`;
}

/** Why an entry whose name is not valid UTF-8 is left out (or not removed): its bytes, escaped. */
export function notUtf8Detail(bytes: Buffer): string {
  return `the name ${escapedBytes(bytes)} is not valid UTF-8 (shown with \uFFFD): no key can name it; rename it`;
}

/** The failure of a removal stopped by such a name (`path`: the folder's path joined with its text, for keyBelow). */
export class NotUtf8Name extends Error {
  readonly code = 'EILSEQ';
  constructor(
    readonly path: string,
    readonly bytes: Buffer,
  ) {
    super(notUtf8Detail(bytes));
  }
}

/**
 * A folder's entries read again with their names as bytes, when one name read as text holds U+FFFD: that is how
 * `readdir` shows bytes that are not valid UTF-8, and a path built from such a name names no file (ENOENT, taken for
 * an entry removed meanwhile) or another one. Each entry gets its name as text (U+FFFD in place of the bad bytes);
 * those that are not valid UTF-8 are in `notUtf8`, reported by describeAt. Folders without U+FFFD (nearly all) are
 * read once, as text: reading every name as a Buffer costs a listing about a sixth more.
 */
export async function namesAsBytes(dir: string): Promise<{ dirents: Dirent[]; notUtf8: Map<Dirent, Buffer> }> {
  const notUtf8 = new Map<Dirent, Buffer>();
  const dirents = (await readdir(dir, { withFileTypes: true, encoding: 'buffer' })).map((raw) => {
    const read = readName(raw.name);
    const dirent = raw as unknown as Dirent;
    dirent.name = read.name;
    if (read.notUtf8) notUtf8.set(dirent, read.notUtf8);
    return dirent;
  });
  return { dirents, notUtf8 };
}
