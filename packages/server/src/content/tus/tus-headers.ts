import { createHash, type Hash } from 'node:crypto';
import { UfsError, isSha256Hex } from '@org/core';

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,termination,checksum,expiration';
export const TUS_CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'] as const;

function bad(message: string, reason?: string): UfsError {
  return new UfsError('INVALID_INPUT', `[ufs] [tus] ${message}`, { context: reason ? { reason } : {} });
}

export function checkTusVersion(header: unknown): void {
  if (header !== TUS_VERSION) {
    throw bad(`Tus-Resumable must be ${TUS_VERSION} (got ${JSON.stringify(header ?? null)})`, 'tus-version');
  }
}

/** A non-negative integer header (`Upload-Length`, `Upload-Offset`). */
export function intHeader(value: unknown, name: string): number {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw bad(`${name} must be a non-negative integer (got ${JSON.stringify(value ?? null)})`);
  }
  return Number(value);
}

/** `Upload-Metadata`: comma-separated `key base64value` pairs. `sha256` (hex) is required by this server. */
export function parseUploadMetadata(header: unknown): { sha256: string; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  if (header !== undefined) {
    if (typeof header !== 'string' || header.length > 8192) throw bad('Upload-Metadata must be a short string');
    for (const pair of header.split(',')) {
      const [key, value = '', extra] = pair.trim().split(' ');
      if (!key || extra !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || !/^[A-Za-z0-9+/=]*$/.test(value)) {
        throw bad(`Upload-Metadata pair ${JSON.stringify(pair.slice(0, 80))} is not "key base64value"`);
      }
      metadata[key] = Buffer.from(value, 'base64').toString('utf8');
    }
  }
  const sha256 = metadata.sha256;
  if (!isSha256Hex(sha256))
    throw bad('Upload-Metadata must carry "sha256" (64 lowercase hex characters, base64-encoded)');
  return { sha256, metadata };
}

/** `Upload-Checksum: <algorithm> <base64 digest>` for one PATCH (checksum extension). */
export function parseUploadChecksum(header: unknown): { hash: Hash; expected: string } | undefined {
  if (header === undefined) return undefined;
  const [algorithm, digest, extra] = typeof header === 'string' ? header.trim().split(' ') : [];
  if (!algorithm || !digest || extra !== undefined || !/^[A-Za-z0-9+/=]+$/.test(digest)) {
    throw bad('Upload-Checksum must be "<algorithm> <base64 digest>"');
  }
  if (!(TUS_CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw bad(`Upload-Checksum algorithm "${algorithm}" is not supported (use ${TUS_CHECKSUM_ALGORITHMS.join(', ')})`);
  }
  return { hash: createHash(algorithm), expected: digest };
}
