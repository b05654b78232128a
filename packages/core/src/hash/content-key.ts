import { UfsError } from '../errors/ufs-error.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for 64 lowercase hex characters. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Throws INVALID_INPUT unless `value` is a SHA-256 in lowercase hex. */
export function assertSha256Hex(value: unknown, what = 'sha256'): string {
  if (!isSha256Hex(value)) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] ${what} must be 64 lowercase hex characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The content-address layout: `ab/abcdef…` (first two hex characters as a folder), under an optional prefix. */
export function contentKey(sha256: string, prefix = ''): string {
  assertSha256Hex(sha256);
  const key = `${sha256.slice(0, 2)}/${sha256}`;
  return prefix ? `${prefix.replace(/\/+$/, '')}/${key}` : key;
}

/** Reverse of `contentKey`: the hash in a content key, or undefined when the key is not one. */
export function hashFromContentKey(key: string): string | undefined {
  const match = /(?:^|\/)([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return match && match[2]!.startsWith(match[1]!) ? match[2] : undefined;
}
