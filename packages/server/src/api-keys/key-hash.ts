import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new API key: 64 hex characters (256 bits) from the cryptographic random source. */
export function generateApiKey(): string {
  return randomBytes(32).toString('hex');
}

/** The stored form of a key. Keys carry 256 random bits, so a plain SHA-256 is enough (no slow KDF needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isApiKeyFormat(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** Constant-time comparison of two hex hashes of equal length. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
