import { fileMetadataSchema } from '@org/core/dedup-schema';
import { z } from 'zod';

/** `..` or `.` as a path segment (either separator): traversal, refused at the edge. */
function hasTraversal(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => segment === '..' || segment === '.');
}

/**
 * put_file body: the shared FileMetadata schema, strict about unknown types, plus a traversal check. A file path may
 * hold any character a file name can (a tab, a newline: legal on Linux, and a scanner meets them), except NUL (the
 * shared schema); a hostname holds no control character.
 */
export const putFileSchema = fileMetadataSchema.superRefine((value, ctx) => {
  if (hasTraversal(value.filepath)) {
    ctx.addIssue({ code: 'custom', path: ['filepath'], message: 'filepath must not contain "." or ".." segments' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value.hostname)) {
    ctx.addIssue({ code: 'custom', path: ['hostname'], message: 'hostname must not contain control characters' });
  }
});

export const putFilesSchema = z.object({
  files: z.array(z.unknown()).min(1, 'files must not be empty'),
});

/** Query of GET /files. */
export const listQuerySchema = z
  .object({
    hostname: z.string().min(1).max(255).optional(),
    path_prefix: z.string().min(1).max(4096).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().min(1).max(10_000).optional(),
  })
  .strict();

/** Query of POST /upload_file/{sha256}. */
export const uploadQuerySchema = z.object({
  hostname: z.string().min(1, 'hostname is required').max(255),
  filepath: z.string().min(1, 'filepath is required').max(4096),
});
