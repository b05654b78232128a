// The errors that end an upload (`uploadWithSettings`): every provider failed or none could take the file, the file
// changed while it was uploaded, or the caller stopped it.
import { UfsError, type ErrorCode, type UploadResult } from '@org/core';
import type { ProviderReport } from './events.js';

/** The distinct codes of some report entries, in order. */
function codesOf(entries: readonly ProviderReport[]): ErrorCode[] {
  return [...new Set(entries.map((r) => r.code ?? 'UNEXPECTED'))];
}

/**
 * One error for a failed upload, listing every provider's reason. Its code comes from the providers actually tried:
 * their common code, else UNAVAILABLE (with `fragile`, the code of the failure that stopped it). When none could be
 * tried (all skipped) it says so, with the skips' common code (TOO_LARGE when the file is over every limit,
 * UNSUPPORTED for an expiry none can choose, CONFIG_INVALID when none is configured), else UNSUPPORTED.
 */
export function uploadFailed(path: string, report: readonly ProviderReport[], fragile: boolean): UfsError {
  const failed = report.filter((r) => r.outcome !== 'success');
  const tried = failed.filter((r) => r.outcome === 'failed');
  const context = { operation: 'upload', path, failures: failed };
  if (tried.length === 0) {
    const codes = codesOf(failed);
    const lines = failed.map((r) => `  - ${r.provider}: ${r.reason ?? 'unknown reason'}`);
    return new UfsError(
      codes.length === 1 ? codes[0]! : 'UNSUPPORTED',
      `[ufs] upload "${path}": no provider can take this file:\n${lines.join('\n')}`,
      { context, retryable: false },
    );
  }
  const last = tried.at(-1)!;
  const codes = codesOf(tried);
  const code: ErrorCode = fragile ? (last.code ?? 'UNEXPECTED') : codes.length === 1 ? codes[0]! : 'UNAVAILABLE';
  const headline = fragile
    ? `failed on ${last.provider} (fragile: no fallback)`
    : failed.length === 1
      ? 'the provider failed'
      : `all ${failed.length} providers failed`;
  const lines = failed.map(
    (r) => `  - ${r.provider}${r.outcome === 'skipped' ? ' (skipped)' : ''}: ${r.reason ?? 'unknown reason'}`,
  );
  return new UfsError(code, `[ufs] upload "${path}": ${headline}:\n${lines.join('\n')}`, {
    context,
    retryable: tried.some((r) => r.retryable),
  });
}

/**
 * The error for a file that changed since its upload began (edited in place, truncated, replaced): the bytes sent (or
 * hashed) are not one version of the file, so no provider is to blame and none is tried after it.
 */
export function changedError(
  path: string,
  how: string,
  report: readonly ProviderReport[],
  provider?: string,
): UfsError {
  const at = provider ? ` (during the upload to ${provider})` : '';
  return new UfsError(
    'INTEGRITY',
    `[ufs] upload "${path}": the file changed while uploading${at}: ${how}; no other provider was tried (upload it again once it is no longer being written)`,
    {
      context: { operation: 'upload', path, ...(provider ? { provider } : {}), failures: [...report] },
      retryable: false,
    },
  );
}

/**
 * The error for an upload ended by the caller's signal: the file and where it stood (provider, step) in the
 * message, and the copy when one had been uploaded (it is left as it is: the caller asked to stop).
 */
export function stoppedError(path: string, error: UfsError, where: string, uploaded?: UploadResult): UfsError {
  const code = error.code === 'TIMEOUT' ? 'TIMEOUT' : 'ABORTED';
  const copy = uploaded ? ` (left a copy at ${uploaded.url}, not verified)` : '';
  return new UfsError(code, `[ufs] upload "${path}": ${code === 'TIMEOUT' ? 'timed out' : 'aborted'} ${where}${copy}`, {
    context: {
      operation: 'upload',
      path,
      ...(error.context.provider ? { provider: error.context.provider } : {}),
      ...(uploaded
        ? {
            uploaded: {
              url: uploaded.url,
              ...(uploaded.deleteUrl ? { deleteUrl: uploaded.deleteUrl } : {}),
              ...(uploaded.deleteToken ? { deleteToken: uploaded.deleteToken } : {}),
            },
          }
        : {}),
    },
    cause: error,
    retryable: false,
  });
}
