import type { BackendCapabilities } from '@org/core';

/** SFTP v3 ATTRS times: unsigned 32-bit seconds since 1970 (1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z). */
export const UINT32_SECONDS_RANGE = Object.freeze({ minMs: 0, maxMs: 2 ** 32 * 1000 - 1 });

/** How finely a backend keeps modification times, in ms (absent: milliseconds). */
export function modifiedPrecision(caps: BackendCapabilities): number {
  return caps.modifiedPrecisionMs ?? 1;
}

/** Can a write on this backend keep this modification time (`setModified`, and within its `modifiedRange`)? */
export function canKeepModified(caps: BackendCapabilities, mtime: Date): boolean {
  if (!caps.setModified) return false;
  const ms = mtime.getTime();
  if (!Number.isFinite(ms)) return false;
  const range = caps.modifiedRange;
  return range === undefined || (ms >= range.minMs && ms <= range.maxMs);
}
