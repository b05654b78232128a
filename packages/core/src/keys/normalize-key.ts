import { UfsError } from '../errors/ufs-error.js';

/** Longest key accepted, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 4096;
/** Longest single segment accepted, in UTF-8 bytes (the common filesystem limit). */
export const MAX_SEGMENT_BYTES = 255;

// C0 controls (NUL included) and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const DRIVE_LETTER = /^[a-zA-Z]:/;
// Percent-escapes of bytes that never start valid UTF-8 (overlong forms such as %c0%ae for "."), which lenient
// decoders turn into dots and slashes.
const OVERLONG_ESCAPE = /%(c0|c1|e0%[89][0-9a-f]|f0%8[0-9a-f]|f[5-9a-f])/i;

function reject(input: string, why: string): never {
  throw new UfsError('INVALID_INPUT', `[ufs] invalid path ${JSON.stringify(input)}: ${why}`, {
    context: { operation: 'normalize', path: input },
  });
}

/** Percent-decodes up to three times (double/triple encoding tricks); stops when nothing changes or it is invalid. */
function decodings(segment: string): string[] {
  const forms = [segment];
  let current = segment;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break;
    }
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  return forms;
}

// Slash and backslash look-alikes that NFKC leaves alone: division slash, fraction slash, big solidus, set minus.
const SEPARATOR_LOOKALIKES = /[\u2215\u2044\u29f8\u2216\u29f5\u29f9]/;

function checkSegment(input: string, segment: string): void {
  if (segment === '') reject(input, 'empty path segment ("//")');
  if (segment === '..') reject(input, '".." segments are not allowed');
  if (segment === '.') reject(input, '"." segments are not allowed');
  if (OVERLONG_ESCAPE.test(segment)) reject(input, 'overlong percent-encoding');
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
    reject(input, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  for (const [depth, form] of decodings(segment).entries()) {
    // A percent-encoded slash or backslash is a character of the name ("100%2Fdone.txt"); a layer that decoded it
    // would see several segments, so each of those must be safe as well (no "..", ".", or empty part).
    const parts = depth === 0 ? [form] : form.split(/[\\/]/);
    for (const part of parts) {
      if (part === '') reject(input, 'encoded path separator at the start or end of a segment, or doubled');
      // Unicode compatibility forms: fullwidth dots/solidus, two-dot leader, … fold to ASCII under NFKC.
      const folded = part.normalize('NFKC');
      for (const candidate of [part, folded]) {
        if (candidate.includes('/') || candidate.includes('\\') || SEPARATOR_LOOKALIKES.test(candidate))
          reject(input, 'encoded or look-alike path separator');
        if (CONTROL_CHARS.test(candidate)) reject(input, 'encoded control character');
        // Only dots and spaces (".. ", ". .", "...") : Windows strips trailing dots/spaces, making these traversal.
        if (/^[. ]+$/.test(candidate) && candidate.includes('.')) reject(input, 'dot-only segment (traversal)');
      }
    }
  }
}

export interface NormalizeKeyOptions {
  /** Accept the empty key (the root). Default true. */
  allowRoot?: boolean;
}

/**
 * The one place where keys are checked. Returns the canonical key: relative, `/`-separated, NFC, no leading or
 * trailing slash. Throws INVALID_INPUT for `..` or `.` segments, NUL and control characters, empty segments,
 * backslashes, drive letters, UNC prefixes, percent-encoded or Unicode look-alike traversal.
 * A single leading `/` means "from the mount root" and is dropped.
 */
export function normalizeKey(input: string, options: NormalizeKeyOptions = {}): string {
  if (typeof input !== 'string') reject(String(input), 'a path must be a string');
  if (CONTROL_CHARS.test(input)) reject(input, 'contains NUL or a control character');
  if (input.includes('\\')) reject(input, 'backslashes are not allowed (use "/")');
  if (DRIVE_LETTER.test(input)) reject(input, 'drive letters are not allowed');
  if (input.startsWith('//')) reject(input, 'UNC or protocol-relative prefix ("//")');
  let key = input.normalize('NFC');
  if (key.startsWith('/')) key = key.slice(1);
  if (key.endsWith('/')) key = key.slice(0, -1);
  if (key === '') {
    if (options.allowRoot === false) reject(input, 'a path is required');
    return '';
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) reject(input, `longer than ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) checkSegment(input, segment);
  return key;
}

/** Joins a normalised base with further parts; every part is checked, so `..` can never climb out. */
export function joinKey(base: string, ...parts: string[]): string {
  const all = [base, ...parts].map((p) => normalizeKey(p)).filter((p) => p !== '');
  return all.join('/');
}

/** The parent of a normalised key; the root's parent is the root. */
export function parentKey(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

/** Last segment of a normalised key. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** True when `key` is `folder` itself or lies below it (both normalised). */
export function isWithin(folder: string, key: string): boolean {
  return folder === '' || key === folder || key.startsWith(`${folder}/`);
}
