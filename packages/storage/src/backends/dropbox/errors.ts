import {
  classifyDropboxSummary,
  classifyHttpStatus,
  dropboxErrorSummary,
  describeContext,
  isUfsError,
  parseRetryAfter,
  tlsCertificateError,
  toUfsError,
  UfsError,
  type ErrorCode,
  type ErrorContext,
} from '@org/core';
import { plainHttpAnswerError } from '../../errors.js';
import { badPortError } from '../../util/fetch-ports.js';
import { serverOf } from '../http/fetch-stream.js';

/** Errors of requests sent to `apiBaseUrl` (see `redirectingFetch`) → the URL they were sent to, and `apiBaseUrl`. */
const redirectedUrls = new WeakMap<object, { url: string; base: string }>();

/** Notes that `err` was thrown by a request sent to `url` under `apiBaseUrl` (`base`), for `dropboxError` to name it. */
export function noteRedirectedFailure(err: unknown, url: string, base: string): void {
  if (typeof err === 'object' && err !== null) redirectedUrls.set(err, { url, base });
}

/**
 * CONFIG_INVALID naming `apiBaseUrl` when fetch refused a request sent under it for its port (`http://host:1/`), or
 * when it is `https://` and its server does not speak TLS (`try apiBaseUrl: http://…`); a TLS certificate failure
 * naming the server it was sent to (fetch's error does not); undefined for any other error
 * (also one already mapped elsewhere, found through its `cause`).
 */
function apiBaseUrlError(err: unknown, context: ErrorContext): UfsError | undefined {
  const raw = isUfsError(err) ? err.cause : err;
  const sent = typeof raw === 'object' && raw !== null ? redirectedUrls.get(raw) : undefined;
  if (sent === undefined) return undefined;
  return (
    badPortError(raw, sent.url, context, 'apiBaseUrl') ??
    plainHttpAnswerError(raw, { url: sent.base, option: 'apiBaseUrl' }, context) ??
    tlsCertificateError(raw, context, serverOf(sent.url))
  );
}

/** What the SDK's DropboxResponseError (and our own content calls) carry. */
export interface DropboxFailure {
  status: number;
  headers?: { get?(name: string): string | null } | Record<string, string>;
  error?: unknown;
}

export function isDropboxFailure(err: unknown): err is DropboxFailure {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** `error_summary` of a 409 body (`path/not_found/..`), or the text of a 400 body. */
export function summaryOf(failure: DropboxFailure): string {
  return dropboxErrorSummary(failure.error);
}

function retryAfterOf(failure: DropboxFailure): number | undefined {
  const headers = failure.headers;
  const header =
    headers && typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  const fromHeader = parseRetryAfter(header);
  if (fromHeader !== undefined) return fromHeader;
  const seconds = (failure.error as { error?: { retry_after?: unknown } } | undefined)?.error?.retry_after;
  return typeof seconds === 'number' ? seconds * 1000 : undefined;
}

/**
 * What a Dropbox error summary means, in words (`path/not_found/..` → `no such file or folder`), naming the side of a
 * copy or move it is about (`from_lookup/…` the source, `to/…` the destination); undefined for one not known here.
 */
export function summaryInWords(summary: string, status: number): string | undefined {
  if (/missing_scope/.test(summary)) return 'the access token lacks a permission (scope) this needs';
  if (status === 401 || /^(invalid_access_token|expired_access_token)/.test(summary))
    return 'the access token is invalid or expired';
  if (/invalid_grant/.test(summary)) return 'the refresh token is invalid or revoked';
  const side = /^from_(lookup|write)\//.test(summary) ? 'the source' : /^to\//.test(summary) ? 'the destination' : '';
  const words: Array<[RegExp, string, string]> = [
    // pattern, words for the key itself, words for one side of a copy or move
    [/not_found/, 'no such file or folder', `${side} does not exist`],
    [/not_file/, 'is a folder, not a file', `${side} is a folder, not a file`],
    [/not_folder/, 'a file is where a folder is needed', `a file is where ${side} needs a folder`],
    [/conflict\/folder/, 'a folder already exists there', `a folder already exists at ${side}`],
    [/conflict\/file/, 'a file already exists there', `a file already exists at ${side}`],
    [/conflict|already_exists/, 'already exists', `${side} already exists`],
    [
      /insufficient_space|insufficient_quota/,
      'the Dropbox account is out of space',
      'the Dropbox account is out of space',
    ],
    [
      /too_many_write_operations|too_many_requests/,
      'too many requests at once (rate limited)',
      'too many requests at once (rate limited)',
    ],
    [/no_write_permission/, 'no permission to write there', `no permission to write at ${side}`],
    [/malformed_path/, 'the path is not a valid Dropbox path', `${side} is not a valid Dropbox path`],
    [/disallowed_name/, 'the name is not allowed on Dropbox', `${side} has a name Dropbox does not allow`],
  ];
  const found = words.find(([pattern]) => pattern.test(summary));
  if (found === undefined) return undefined;
  return side === '' ? found[1] : found[2];
}

/**
 * Maps anything a Dropbox call throws to a UfsError with `[ufs] [dropbox] <op> "<key>": <what went wrong in words>`;
 * the raw Dropbox summary (`path/not_found/..`) stays in `context.summary`.
 */
export function dropboxError(err: unknown, context: ErrorContext): UfsError {
  const refused = apiBaseUrlError(err, context);
  if (refused) return refused;
  if (isUfsError(err)) return err.withContext(context);
  if (!isDropboxFailure(err)) return toUfsError(err, context);
  const { status } = err;
  const summary = summaryOf(err);
  const ctx = { ...context, status };
  let code: ErrorCode;
  let retryable: boolean;
  if (status === 409) {
    ({ code, retryable } = classifyDropboxSummary(summary));
  } else if (status === 400 && /invalid_grant/.test(summary)) {
    [code, retryable] = ['PERMISSION_DENIED', false];
  } else {
    const classified = classifyHttpStatus(status) ?? { code: 'UNEXPECTED' as const, retryable: false };
    [code, retryable] = [classified.code, classified.retryable];
  }
  const detail = summaryInWords(summary, status) ?? (summary || `HTTP ${status}`);
  return new UfsError(code, `${describeContext(ctx)} ${detail}`, {
    context: summary === '' ? ctx : { ...ctx, summary },
    retryable,
    cause: err,
    retryAfterMs: code === 'RATE_LIMITED' ? retryAfterOf(err) : undefined,
  });
}

/** True for a mapped error whose Dropbox summary matches (e.g. `to/conflict/file`). */
export function hasSummary(error: UfsError, pattern: RegExp): boolean {
  const cause = error.cause;
  return isDropboxFailure(cause) && pattern.test(summaryOf(cause));
}

/** INVALID_INPUT with `[ufs] [dropbox] <op> "<key>": <detail>`. */
export function invalid(context: ErrorContext, detail: string, cause: unknown): UfsError {
  return new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context, cause });
}
