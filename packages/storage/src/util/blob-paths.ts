import { normalizeKey, type Key } from '@org/core';
import { keyError, type ErrorSite } from '../errors.js';

/** Maps mount keys to blob names under the mount's prefix, and back. */
export class BlobPaths {
  readonly prefix: string;

  constructor(prefix: string | undefined) {
    this.prefix = prefix ? normalizeKey(prefix) : '';
  }

  /** The blob name of a key (the key must not be the root). */
  blob(key: Key): string {
    return this.prefix ? (key ? `${this.prefix}/${key}` : this.prefix) : key;
  }

  /** The name prefix of everything inside the folder `key` (`''` for the root of an unprefixed mount). */
  folder(key: Key): string {
    const name = this.blob(key);
    return name ? `${name}/` : '';
  }

  /** The mount key of a blob name or of a common prefix (`a/b/`). */
  key(name: string): Key {
    const inside = this.prefix ? name.slice(this.prefix.length + 1) : name;
    return inside.endsWith('/') ? inside.slice(0, -1) : inside;
  }
}

/** Operations that need a file key refuse the root, which is always a folder. */
export function requireFileKey(key: Key, site: ErrorSite, operation: string): void {
  if (key === '') throw keyError('INVALID_INPUT', site, operation, key, 'the root is a folder, not a file');
}

/** Checks `{start, end}` of a range read and returns the offset and byte count (count undefined: to the end). */
export function byteRange(
  options: { start?: number; end?: number },
  site: ErrorSite,
  key: Key,
): { offset: number; count: number | undefined } {
  const { start, end } = options;
  const bad = (why: string) => keyError('INVALID_INPUT', site, 'read', key, why);
  if (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) throw bad('start must be an integer ≥ 0');
  if (end !== undefined && (!Number.isSafeInteger(end) || end < 0)) throw bad('end must be an integer ≥ 0');
  const offset = start ?? 0;
  if (end !== undefined && end < offset) throw bad(`end (${end}) is before start (${offset})`);
  return { offset, count: end === undefined ? undefined : end - offset + 1 };
}
