import type { ErrorCode } from './codes.js';

/**
 * Dropbox answers HTTP 409 for every route error; its `error_summary` (`path/conflict/file/..`,
 * `path/insufficient_space/..`) says which. Shared by the Dropbox storage backend and the Dropbox upload provider.
 * First match wins.
 */
const ROUTE_CODES: ReadonlyArray<readonly [RegExp, ErrorCode, boolean]> = [
  [/too_many_write_operations|too_many_requests/, 'RATE_LIMITED', true],
  [/not_found/, 'NOT_FOUND', false],
  [/conflict|already_exists/, 'ALREADY_EXISTS', false],
  [
    /no_write_permission|restricted_content|cant_copy|cant_move|team_folder|access_denied|email_not_verified/,
    'PERMISSION_DENIED',
    false,
  ],
  [/payload_too_large|too_large|too_many_files|insufficient_space|insufficient_quota/, 'TOO_LARGE', false],
  [/content_hash_mismatch|incorrect_offset/, 'INTEGRITY', false],
  [
    /malformed_path|disallowed_name|not_folder|not_file|duplicated_or_nested_paths|cant_nest|invalid/,
    'INVALID_INPUT',
    false,
  ],
];

/** The code of a Dropbox route error (HTTP 409) from its `error_summary`; UNEXPECTED for one not known here. */
export function classifyDropboxSummary(summary: string): { code: ErrorCode; retryable: boolean } {
  const found = ROUTE_CODES.find(([pattern]) => pattern.test(summary));
  return found ? { code: found[1], retryable: found[2] } : { code: 'UNEXPECTED', retryable: false };
}

/**
 * The text of a Dropbox error body: a route error's `error_summary` (`path/not_found/..`), an auth error's `error`
 * and `error_description`, or the body itself when it is text (a 400).
 */
export function dropboxErrorSummary(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const { error_summary: summary, error, error_description: description } = body as Record<string, unknown>;
    if (typeof summary === 'string') return summary;
    if (typeof error === 'string') return typeof description === 'string' ? `${error}: ${description}` : error;
  }
  return '';
}
