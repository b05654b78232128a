import {
  UfsError,
  formatBytes,
  hashFile,
  retry,
  toUfsError,
  type ErrorCode,
  type UploadResult,
  type UploadSource,
} from '@org/core';
import { fileSource, type FileUploadSource } from '../source.js';
import { loadProvider } from '../registry.js';
import type { Provider, ProviderCallOptions } from '../types.js';
import type { ProviderReport } from './events.js';
import { changedError, stoppedError, uploadFailed } from './upload-errors.js';
import {
  checkPath,
  checkUploadOptions,
  resolveUploadSettings,
  type UploadFileOptions,
  type UploadSettings,
} from './settings.js';
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

/** A failed provider's report entry with its error (not enumerable: the report's JSON and equality stay as they are). */
function withError(entry: ProviderReport, error: UfsError): ProviderReport {
  return Object.defineProperty(entry, 'error', { value: error, enumerable: false });
}

type CopyFields = Pick<ProviderReport, 'url' | 'deleteUrl' | 'deleteToken' | 'deleted' | 'deleteError' | 'kept'>;

/**
 * After a failure that followed a successful upload (verification): deletes the copy where the provider can
 * (best effort, one attempt) and should, and returns where it is and whether it is gone, for the report. A provider's
 * `keepOnFailure` keeps it only after a verification failure (`fileChanged` false: the bytes were hashed and are the
 * file's); a copy of a file that changed while it was uploaded holds a version no longer on disk, and is deleted as
 * every provider's copy is.
 */
async function removeCopy(
  provider: Provider,
  uploaded: UploadResult,
  callOptions: ProviderCallOptions,
  fileChanged: boolean,
): Promise<CopyFields> {
  const kept: CopyFields = {
    url: uploaded.url,
    ...(uploaded.deleteUrl ? { deleteUrl: uploaded.deleteUrl } : {}),
    ...(uploaded.deleteToken ? { deleteToken: uploaded.deleteToken } : {}),
  };
  if (provider.keepOnFailure !== undefined && !fileChanged) {
    return { ...kept, deleted: false, kept: provider.keepOnFailure };
  }
  const remove = provider.delete;
  if (!remove || !provider.info.capabilities.delete || !(uploaded.deleteToken || uploaded.deleteUrl)) {
    return { ...kept, deleted: false };
  }
  try {
    const { onProgress: _progress, ...options } = callOptions;
    await remove(uploaded, options);
    return { ...kept, deleted: true };
  } catch (err) {
    const error = toUfsError(err, { provider: provider.info.id, operation: 'delete', path: uploaded.url });
    return { ...kept, deleted: false, deleteError: error.message };
  }
}

/**
 * A copy a provider reports in its own error, having failed to delete it itself (`mount`: the file written before a
 * later step of its upload failed): `context.copy` (where it is, which is also its delete token: `mount:path`),
 * `context.copyDeleted` and `context.copyDeleteError`, as the report's fields. No URL was made for it: its `url` is
 * that address too, which `ufs rm` and `ufs stat` take.
 */
function copyNamedIn(error: UfsError): CopyFields | undefined {
  const { copy, copyDeleted, copyDeleteError } = error.context;
  if (typeof copy !== 'string' || typeof copyDeleted !== 'boolean') return undefined;
  return {
    url: copy,
    deleteToken: copy,
    deleted: copyDeleted,
    ...(!copyDeleted && typeof copyDeleteError === 'string' ? { deleteError: copyDeleteError } : {}),
  };
}

/**
 * Asked by `uploadFiles` just before a provider stores the file. `refused`: it may not (another file of the batch is
 * stored there under the same key), which is that provider's permanent failure for this file. Otherwise `done` is
 * told, once the attempt is over, whether a copy of the file is left under that key (uploaded, and not deleted again).
 */
export type ClaimKey = (provider: Provider) => Promise<{ refused?: UfsError; done?: (stored: boolean) => void }>;

/** Uploads one file with already-resolved settings (shared by `uploadFile` and `uploadFiles`). */
export async function uploadWithSettings(
  path: string,
  settings: UploadSettings,
  options: UploadFileOptions = {},
  claim?: ClaimKey,
): Promise<UploadFileResult> {
  const { signal } = options;
  const where = { stage: 'before it started', uploaded: undefined as UploadResult | undefined };
  try {
    if (signal?.aborted) throw toUfsError(signal.reason, { operation: 'upload', path });
    return await attemptProviders(path, settings, options, where, claim);
  } catch (err) {
    const error = toUfsError(err, { operation: 'upload', path });
    // The caller's abort ends the whole upload: no fallback, and the message says which file and where.
    if (signal?.aborted || error.code === 'ABORTED') throw stoppedError(path, error, where.stage, where.uploaded);
    throw error;
  }
}

async function attemptProviders(
  path: string,
  settings: UploadSettings,
  options: UploadFileOptions,
  where: { stage: string; uploaded: UploadResult | undefined },
  claim: ClaimKey | undefined,
): Promise<UploadFileResult> {
  const { signal, onEvent, onProgress } = options;
  const source: FileUploadSource = await fileSource(path, {
    filename: options.filename,
    contentType: options.contentType,
  });
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
      idleTimeoutMs: settings.idleTimeoutMs,
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

  where.stage = 'while hashing the file';
  const readStarted = performance.now();
  const { digest: sha256 } = await hashFile(path, {
    signal,
    onProgress: onProgress && ((loaded) => onProgress({ loaded, total: source.size, item: path, phase: 'read' })),
  }).catch((err: unknown) => {
    // A file that cannot be read (no read permission) is this upload's failure, worded as the others.
    const error = toUfsError(err);
    throw error.code === 'ABORTED' || error.code === 'TIMEOUT'
      ? error
      : toUfsError(error.cause ?? err, { operation: 'upload', path });
  });
  const readMs = Math.round(performance.now() - readStarted);

  for (const [index, { provider, callOptions }] of candidates.entries()) {
    const id = provider.info.id;
    // A file changed since the upload began (while hashed, or sent to the provider before) would fail here too.
    const before = index > 0 ? await source.changed() : undefined;
    if (before !== undefined) throw changedError(path, before, ordered());
    // Another file of the batch stored under the key this one would get here: this provider cannot take it.
    const claimed = await claim?.(provider);
    if (signal?.aborted) {
      claimed?.done?.(false);
      throw toUfsError(signal.reason, { operation: 'upload', path });
    }
    const refused = claimed?.refused;
    if (refused) {
      report.push(
        withError(
          {
            provider: id,
            outcome: 'failed',
            attempts: 0,
            reason: refused.message,
            code: refused.code,
            retryable: false,
          },
          refused,
        ),
      );
      onEvent?.({ type: 'failure', provider: id, error: refused });
      if (settings.fragile) throw uploadFailed(path, ordered(), true);
      continue;
    }
    let attempts = 0;
    let uploaded: UploadResult | undefined;
    /** Whether a copy of the file is left under its key on this provider (told to `claimed.done`). */
    let stored = false;
    where.stage = `during the upload to ${id}`;
    where.uploaded = undefined;
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
          onRetry: ({ error, attempt, delayMs }) =>
            onEvent?.({ type: 'retry', provider: id, phase: 'upload', attempt, delayMs, error }),
        },
      );
      uploaded = result;
      stored = true;
      const uploadMs = Math.round(performance.now() - started);
      let verifyMs: number | undefined;
      let verifySkipped: string | undefined;
      if (!settings.verify) {
        verifySkipped = 'verification is turned off';
      } else if (provider.info.capabilities.singleDownload) {
        verifySkipped = `${provider.info.name} serves the link once: downloading it to verify would use it up`;
      } else {
        where.stage = `while verifying the upload to ${id}`;
        where.uploaded = result;
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
              idleTimeoutMs: settings.idleTimeoutMs,
              onProgress: callOptions.onProgress,
              ...(headers ? { headers } : {}),
            }),
          {
            ...settings.retry,
            signal,
            onRetry: ({ error, attempt, delayMs }) =>
              onEvent?.({ type: 'retry', provider: id, phase: 'verify', attempt, delayMs, error }),
          },
        );
        verifyMs = Math.round(performance.now() - verifyStarted);
      }
      // Also when nothing was downloaded (verification off, single-download services): a file changed while it was
      // sent is not what was hashed, and its URL would be handed out with a SHA-256 it does not serve.
      const after = await source.changed();
      if (after !== undefined) {
        throw new UfsError('INTEGRITY', `[ufs] [${id}] upload "${path}": the file changed while uploading: ${after}`, {
          context: { provider: id, operation: 'upload', path },
          retryable: false,
        });
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
      let error = toUfsError(err, { provider: id });
      if (signal?.aborted || error.code === 'ABORTED') throw error;
      // A file edited while it was sent makes the URL serve other bytes than were hashed: the file's fault, not the
      // provider's, and the next provider would fail the same way.
      const changed = await source.changed();
      if (changed !== undefined) {
        error = new UfsError(
          'INTEGRITY',
          `[ufs] [${id}] upload "${path}": the file changed while uploading: ${changed}`,
          {
            context: { provider: id, operation: 'upload', path },
            cause: error,
            retryable: false,
          },
        );
      }
      // The upload went through but a later step failed: the copy must not be lost (nor, where possible, left). A
      // provider that wrote a copy and failed before returning it names it in its error (it has no URL to protect, so
      // it does not count as stored for the batch's name clashes).
      const copy = uploaded
        ? await removeCopy(provider, uploaded, callOptions, changed !== undefined)
        : copyNamedIn(error);
      if (copy?.deleted) stored = false;
      report.push(
        withError(
          {
            provider: id,
            outcome: 'failed',
            attempts,
            reason: error.message,
            code: error.code,
            retryable: error.retryable,
            ...(typeof error.context.status === 'number' ? { status: error.context.status } : {}),
            ...copy,
          },
          error,
        ),
      );
      onEvent?.({
        type: 'failure',
        provider: id,
        error,
        ...(copy ? { copy: { url: copy.url!, deleted: copy.deleted === true } } : {}),
      });
      if (changed !== undefined) throw changedError(path, changed, ordered(), id);
      if (settings.fragile) throw uploadFailed(path, ordered(), true);
    } finally {
      claimed?.done?.(stored);
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
  checkPath(path);
  checkUploadOptions(options, 'uploadFile');
  return uploadWithSettings(path, await resolveUploadSettings(options), options);
}
