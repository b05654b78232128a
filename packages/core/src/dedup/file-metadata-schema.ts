import { z } from 'zod';
import type { FileMetadata, FileMetadataIssue } from './file-metadata.js';

const SHA256 = /^[0-9a-f]{64}$/;
// eslint-disable-next-line no-control-regex
const NO_NUL = /^[^\u0000]*$/;

/**
 * The file-metadata record the scanner sends and the server stores (PutPlace `FileMetadata`).
 * One schema for both sides; the server validates it at its edge. Imported as `@org/core/dedup-schema`, apart from
 * the main entry, so that what does not validate records does not load zod. Strict: an unknown field (a typo such as
 * `is_symlnk`) is refused, never dropped, so that no value a client meant to send is lost.
 */
export const fileMetadataSchema = z.strictObject({
  filepath: z
    .string()
    .min(1, 'filepath must not be empty')
    .max(4096, 'filepath is longer than 4096 characters')
    .regex(NO_NUL, 'filepath must not contain NUL'),
  hostname: z
    .string()
    .min(1, 'hostname must not be empty')
    .max(255, 'hostname is longer than 255 characters')
    .regex(NO_NUL, 'hostname must not contain NUL'),
  ip_address: z.string().max(64, 'ip_address is longer than 64 characters'),
  sha256: z.string().regex(SHA256, 'sha256 must be 64 lowercase hex characters'),
  file_size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  file_mode: z.number().int().nonnegative(),
  file_uid: z.number().int().nonnegative(),
  file_gid: z.number().int().nonnegative(),
  file_mtime: z.number().finite(),
  file_atime: z.number().finite(),
  file_ctime: z.number().finite(),
  is_symlink: z.boolean().default(false),
  link_target: z.string().max(4096).nullable().default(null),
});

/** Validates unknown input; returns the record or a list of issues naming each bad field. */
export function parseFileMetadata(
  input: unknown,
): { ok: true; value: FileMetadata } | { ok: false; issues: FileMetadataIssue[] } {
  const result = fileMetadataSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.flatMap((issue) => {
      const at = issue.path.map(String).join('.');
      // One issue per unknown field, named by it (zod lists them all in one issue at the record).
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({
          path: at ? `${at}.${key}` : key,
          message: `unknown field ${JSON.stringify(key.slice(0, 100))}`,
        }));
      }
      return [{ path: at || '(body)', message: issue.message }];
    }),
  };
}
