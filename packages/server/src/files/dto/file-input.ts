import { unpairedSurrogate } from '@org/core';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { z } from 'zod';
import { EMPTY_SHA256 } from '../file-response.js';

/** `..` or `.` as a path segment (either separator): traversal, refused at the edge. */
function hasTraversal(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => segment === '..' || segment === '.');
}

/**
 * put_file body: the shared FileMetadata schema (strict: an unknown field is refused, never dropped), plus a traversal
 * check. A file path may hold any character a file name can (a tab, a newline: legal on Linux, and a scanner meets
 * them), except NUL (the shared schema); so may a symlink's `link_target`; a hostname holds no control character. No
 * stored string may hold an unpaired surrogate (refuseUnpairedSurrogates). Size 0 and the hash of the empty
 * content go together: a record with one and not the other cannot describe any content (the spec's rule "upload is
 * required when the size is not 0" would answer it wrongly either way), so it is refused; so are `is_symlink` and
 * `link_target` that contradict each other (refuseLinkContradiction).
 */
export const putFileSchema = fileMetadataSchema.superRefine((value, ctx) => {
  if (hasTraversal(value.filepath)) {
    ctx.addIssue({ code: 'custom', path: ['filepath'], message: 'filepath must not contain "." or ".." segments' });
  }
  // A link's target is a path as filepath is: the same rule (any character a file name may hold, but NUL).
  if (value.link_target?.includes('\u0000')) {
    ctx.addIssue({ code: 'custom', path: ['link_target'], message: 'link_target must not contain NUL' });
  }
  refuseUnpairedSurrogates(value, ctx);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value.hostname)) {
    ctx.addIssue({ code: 'custom', path: ['hostname'], message: 'hostname must not contain control characters' });
  }
  if (value.file_size === 0 && value.sha256 !== EMPTY_SHA256) {
    ctx.addIssue({
      code: 'custom',
      path: ['file_size'],
      message: `file_size is 0 but sha256 is not that of empty content (${EMPTY_SHA256}): send the size of the bytes hashed`,
    });
  } else if (value.file_size !== 0 && value.sha256 === EMPTY_SHA256) {
    ctx.addIssue({
      code: 'custom',
      path: ['file_size'],
      message: `sha256 is that of empty content but file_size is ${value.file_size}, not 0: send the size of the bytes hashed`,
    });
  }
  refuseLinkContradiction(value, ctx);
});

/** The string fields of a record the server stores. */
const STORED_STRINGS = ['filepath', 'hostname', 'ip_address', 'link_target'] as const;

/**
 * A stored string must be well-formed Unicode: an unpaired surrogate (JSON `"\ud800"`) would be stored as U+FFFD, a
 * value the client never sent (and a path it would then not find): refused, naming the field.
 */
export function refuseUnpairedSurrogates(
  value: Partial<Record<(typeof STORED_STRINGS)[number], string | null>>,
  ctx: z.RefinementCtx,
): void {
  for (const field of STORED_STRINGS) {
    const text = value[field];
    const lone = typeof text === 'string' ? unpairedSurrogate(text) : undefined;
    if (lone) ctx.addIssue({ code: 'custom', path: [field], message: surrogateMessage(field, lone) });
  }
}

/** `<field> must be well-formed Unicode: …` (the words of keyNameProblem's). */
export function surrogateMessage(field: string, lone: { position: number; codeUnit: string }): string {
  return `${field} must be well-formed Unicode: it holds an unpaired surrogate (${lone.codeUnit} at position ${lone.position}), which cannot be stored`;
}

/**
 * `is_symlink` and `link_target` (both optional: PutPlace clients may send neither, a regular file) must agree: a
 * symlink record names its target (a non-empty path), any other record has none (null or left out). A record that
 * says both is refused, naming `link_target`, rather than stored as a symlink without a target or a file with one.
 */
function refuseLinkContradiction(value: { is_symlink: boolean; link_target: string | null }, ctx: z.RefinementCtx) {
  if (value.is_symlink && !value.link_target) {
    const got = value.link_target === null ? 'null (or missing)' : 'empty';
    ctx.addIssue({
      code: 'custom',
      path: ['link_target'],
      message: `link_target is ${got} but is_symlink is true: a symlink record must name its target (send the link's target, or is_symlink false for a regular file)`,
    });
  } else if (!value.is_symlink && value.link_target !== null) {
    ctx.addIssue({
      code: 'custom',
      path: ['link_target'],
      message: `link_target is ${JSON.stringify(value.link_target.slice(0, 100))} but is_symlink is false (or missing): only a symlink record has a target (send null, or is_symlink true)`,
    });
  }
}

export const putFilesSchema = z.strictObject({
  files: z.array(z.unknown()).min(1, 'files must not be empty'),
});

/**
 * A whole number in a query: decimal digits only (no sign, exponent, hex, spaces or fraction), with a message naming
 * the parameter, then the range check.
 */
function queryInt(name: string, min: number, max: number) {
  return z
    .string({ error: `${name} must be given once, as decimal digits` })
    .regex(/^[0-9]{1,16}$/, `${name} must be a whole number written in decimal digits (${min} to ${max})`)
    .transform(Number)
    .pipe(z.number().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));
}

/** Query of GET /files. */
export const listQuerySchema = z.strictObject({
  hostname: z.string().min(1).max(255).optional(),
  path_prefix: z.string().min(1).max(4096).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters')
    .optional(),
  limit: queryInt('limit', 1, 1000).default(100),
  cursor: z.string().min(1).max(10_000).optional(),
});

/** Query of POST /upload_file/{sha256}. */
export const uploadQuerySchema = z.strictObject({
  hostname: z.string({ error: 'hostname is required' }).min(1, 'hostname is required').max(255),
  filepath: z.string({ error: 'filepath is required' }).min(1, 'filepath is required').max(4096),
});

/** The query of a route that takes none: any parameter is refused, named. */
export const noQuerySchema = z.strictObject({});

/**
 * Query of GET/HEAD /files/{sha256}/content: only a signed URL's `expires`, `kid` and `signature` (checked by the API key
 * guard, which refuses a repeated or malformed one).
 */
export const downloadQuerySchema = z.strictObject({
  expires: z.unknown().optional(),
  kid: z.unknown().optional(),
  signature: z.unknown().optional(),
});
