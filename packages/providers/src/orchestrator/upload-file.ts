import {
  UfsError,
  formatBytes,
  hashFile,
  isUfsError,
  retry,
  toUfsError,
  type ErrorCode,
  type UploadResult,
  type UploadSource,
} from '@org/core';
import { fileSource } from '../source.js';
import { loadProvider } from '../registry.js';
import type { Provider, ProviderCallOptions } from '../types.js';
import type { ProviderReport } from './events.js';
import { resolveUploadSettings, type UploadFileOptions, type UploadSettings } from './settings.js';
import { verifyDownload } from './verify.js';

export interface UploadFileResult extends UploadResult {
  sha256: string;
  /** True when the URL was downloaded and matched; false with `verifySkipped` saying why not. */
  verified: boolean;
  /** Every provider considered, in order: skipped, failed, and the one that succeeded. */
  report: ProviderReport[];
}

function skipReason(
  provider: Provider,
  source: UploadSource,
  settings: UploadSettings,
  callOptions: ProviderCallOptions,
): { reason: string; code: ErrorCode } | undefined {
  const { info } = provider;
  if (info.maxSize !== undefined && source.size > info.maxSize) {
    return {
      reason: `file is ${source.size} bytes (${formatBytes(source.size)}), over the ${info.maxSize}-byte (${formatBytes(info.maxSize)}) limit`,
      code: 'TOO_LARGE',
    };
  }
  if (settings.expire !== undefined && !info.capabilities.expiry) {
    return { reason: `cannot choose expiry ${settings.expire} (keeps files: ${info.retention})`, code: 'UNSUPPORTED' };
  }
  const state = provider.status(settings.env, callOptions);
  if (!state.ready)
    return {
      reason: `not ready: ${state.reason ?? 'not configured'}${state.help ? ` (${state.help})` : ''}`,
      code: 'CONFIG_INVALID',
    };
  return undefined;
}

/** One error for a failed upload, listing every provider's reason. */
export function uploadFailed(path: string, report: readonly ProviderReport[], fragile: boolean): UfsError {
  const failed = report.filter((r) => r.outcome !== 'success');
  const codes = [...new Set(failed.map((r) => r.code ?? 'UNEXPECTED'))];
  const code: ErrorCode = codes.length === 1 ? codes[0]! : 'UNAVAILABLE';
  const last = failed.filter((r) => r.outcome === 'failed').at(-1);
  const headline =
    fragile && last
      ? `failed on ${last.provider} (fragile: no fallback)`
      : `all ${failed.length} provider${failed.length === 1 ? '' : 's'} failed`;
  const lines = failed.map(
    (r) => `  - ${r.provider}${r.outcome === 'skipped' ? ' (skipped)' : ''}: ${r.reason ?? 'unknown reason'}`,
  );
  return new UfsError(code, `[ufs] upload "${path}": ${headline}:\n${lines.join('\n')}`, {
    context: { operation: 'upload', path, failures: failed },
    retryable: failed.some((r) => r.retryable),
  });
}

/** Uploads one file with already-resolved settings (shared by `uploadFile` and `uploadFiles`). */
export async function uploadWithSettings(
  path: string,
  settings: UploadSettings,
  options: UploadFileOptions = {},
): Promise<UploadFileResult> {
  const { signal, onEvent, onProgress } = options;
  const source = await fileSource(path, { filename: options.filename, contentType: options.contentType });
  const report: ProviderReport[] = [];
  const candidates: Array<{ provider: Provider; callOptions: ProviderCallOptions }> = [];
  for (const id of settings.providers) {
    const provider = await loadProvider(id);
    const callOptions: ProviderCallOptions = {
      ...settings.providerOptions[id],
      env: settings.env,
      ...(settings.expire !== undefined ? { expire: settings.expire } : {}),
      signal,
      timeoutMs: settings.timeoutMs,
      onProgress: onProgress && ((event) => onProgress({ ...event, item: path })),
    };
    const skip = skipReason(provider, source, settings, callOptions);
    if (skip) {
      report.push({
        provider: id,
        outcome: 'skipped',
        attempts: 0,
        reason: skip.reason,
        code: skip.code,
        retryable: false,
      });
      onEvent?.({ type: 'skip', provider: id, reason: skip.reason });
    } else {
      candidates.push({ provider, callOptions });
    }
  }
  // Reports are listed in provider order, skipped ones included.
  const position = new Map(settings.providers.map((id, index) => [id, index]));
  const ordered = () => report.sort((a, b) => position.get(a.provider)! - position.get(b.provider)!);
  if (candidates.length === 0) throw uploadFailed(path, ordered(), false);

  const readStarted = performance.now();
  const { digest: sha256 } = await hashFile(path, {
    signal,
    onProgress: onProgress && ((loaded) => onProgress({ loaded, total: source.size, item: path, phase: 'read' })),
  });
  const readMs = Math.round(performance.now() - readStarted);

  for (const { provider, callOptions } of candidates) {
    const id = provider.info.id;
    let attempts = 0;
    try {
      const started = performance.now();
      const result = await retry(
        async ({ attempt }) => {
          attempts = attempt;
          onEvent?.({ type: 'attempt', provider: id, attempt });
          return provider.upload(source, callOptions);
        },
        {
          ...settings.retry,
          signal,
          onRetry: ({ error, attempt, delayMs }) => onEvent?.({ type: 'retry', provider: id, attempt, delayMs, error }),
        },
      );
      const uploadMs = Math.round(performance.now() - started);
      let verifyMs: number | undefined;
      let verifySkipped: string | undefined;
      if (!settings.verify) {
        verifySkipped = 'verification is turned off';
      } else if (provider.info.capabilities.singleDownload) {
        verifySkipped = `${provider.info.name} serves the link once: downloading it to verify would use it up`;
      } else {
        onEvent?.({ type: 'verify', provider: id, url: result.url });
        const headers = provider.verifyHeaders?.(callOptions);
        const verifyStarted = performance.now();
        await retry(
          () =>
            verifyDownload(result.url, {
              provider: id,
              sha256,
              size: source.size,
              signal,
              timeoutMs: settings.timeoutMs,
              onProgress: callOptions.onProgress,
              ...(headers ? { headers } : {}),
            }),
          { ...settings.retry, signal },
        );
        verifyMs = Math.round(performance.now() - verifyStarted);
      }
      report.push({ provider: id, outcome: 'success', attempts });
      onEvent?.({ type: 'success', provider: id, url: result.url });
      return {
        ...result,
        sha256,
        verified: verifySkipped === undefined,
        ...(verifySkipped !== undefined ? { verifySkipped } : {}),
        timings: { readMs, uploadMs, ...(verifyMs !== undefined ? { verifyMs } : {}) },
        report: ordered(),
      };
    } catch (err) {
      const error = toUfsError(err, { provider: id });
      // The caller's abort ends the whole upload: no fallback.
      if (signal?.aborted || (isUfsError(error) && error.code === 'ABORTED')) throw error;
      report.push({
        provider: id,
        outcome: 'failed',
        attempts,
        reason: error.message,
        code: error.code,
        retryable: error.retryable,
      });
      onEvent?.({ type: 'failure', provider: id, error });
      if (settings.fragile) throw uploadFailed(path, ordered(), true);
    }
  }
  throw uploadFailed(path, ordered(), false);
}

/**
 * Uploads a file: providers in the resolved order (options, then `UFS_PROVIDERS`, then config, then defaults),
 * skipping those that cannot take it (size, expiry, configuration); each attempt retried on transient errors with
 * the core `retry()` policy; verified by downloading and comparing SHA-256 (except single-download services);
 * falling back to the next provider on failure unless `fragile`. When all fail, one error lists every reason.
 */
export async function uploadFile(path: string, options: UploadFileOptions = {}): Promise<UploadFileResult> {
  return uploadWithSettings(path, await resolveUploadSettings(options), options);
}
