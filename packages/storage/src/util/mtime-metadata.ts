/**
 * Object stores (S3, GCS, Azure) have no settable modification time: a kept one (`WriteOptions.mtime`) is stored as
 * the user metadata entry `mtime` (rclone's name), an RFC 3339 time with milliseconds (`2024-05-01T12:00:00.123Z`).
 * `stat()` returns it as `mtime`, in preference to the object's own last-modified time, and leaves it out of
 * `metadata`. Values written by rclone's S3 backend (unix seconds with a fraction, `1714564800.123456789`) are read
 * too.
 */
export const MTIME_KEY = 'mtime';

const UNIX_SECONDS = /^\d{1,12}(\.\d+)?$/;

/**
 * The name in user metadata that is the reserved `mtime` (in any case), or undefined: refused on every backend, so
 * that metadata written on one mount can be copied to an object store, where that name holds the kept time.
 */
export function reservedMetadataName(metadata: Record<string, string> | undefined): string | undefined {
  return Object.keys(metadata ?? {}).find((k) => k.toLowerCase() === MTIME_KEY);
}

/** The stored value of a modification time. */
export function formatMtime(mtime: Date): string {
  return mtime.toISOString();
}

/** A stored modification time (RFC 3339 or unix seconds), or undefined when there is none or it cannot be read. */
export function parseMtime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = UNIX_SECONDS.test(text) ? Math.round(Number(text) * 1000) : Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** User metadata with the modification time set (when given); `metadata` is not changed. */
export function withMtime(
  metadata: Record<string, string> | undefined,
  mtime: Date | undefined,
): Record<string, string> | undefined {
  if (mtime === undefined) return metadata;
  return { ...metadata, [MTIME_KEY]: formatMtime(mtime) };
}

/** The kept modification time of stored metadata (names compared case-insensitively). */
export function mtimeIn(metadata: Record<string, string> | undefined): Date | undefined {
  const name = Object.keys(metadata ?? {}).find((k) => k.toLowerCase() === MTIME_KEY);
  return name === undefined ? undefined : parseMtime(metadata![name]);
}

/** The user's metadata: stored metadata without the modification time entry. */
export function withoutMtime(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) if (name.toLowerCase() !== MTIME_KEY) out[name] = value;
  return out;
}
