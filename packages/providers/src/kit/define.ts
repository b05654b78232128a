import {
  UfsError,
  describeContext,
  toUfsError,
  type ErrorContext,
  type ProviderInfo,
  type ProviderStatus,
  type UploadResult,
  type UploadSource,
} from '@org/core';
import { countedBytes, type CountedBytesOptions } from '../http/body.js';
import { excerpt, isBinaryText } from '../http/service-text.js';
import { throwIfAborted } from '../http/signals.js';
import { resolveBaseUrl, type Env } from '../env.js';
import { checkNumberOption } from '../orchestrator/config.js';
import { isDotName, isHeaderValue } from './names.js';
import { providerOptionProblems } from '../provider-options.js';
import type { Provider, ProviderCallOptions } from '../types.js';

/** What a provider's `send` returns: the URL and whatever the service gave to manage the upload. */
export interface SentUpload {
  url: string;
  deleteUrl?: string;
  deleteToken?: string;
  expiresAt?: Date;
  /**
   * What identifies the object this upload wrote (an ETag), for providers that store under a name another writer can
   * use too: the orchestrator's clean-up after a failed verification deletes only while the object is still this one.
   */
  written?: string;
}

/** The `written` identity of each result `upload` returned (kept out of the result: it is not for display). */
const WRITTEN = new WeakMap<object, string>();

/** Everything `send` needs, prepared once per attempt. */
export interface SendContext {
  source: UploadSource;
  options: ProviderCallOptions;
  env: Env;
  /** Resolved base URL (option `baseUrl`, else the env variable, else the public service); '' without one. */
  baseUrl: string;
  context: ErrorContext;
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
  /** The idle timeout of each request (`ProviderCallOptions.idleTimeoutMs`); undefined: the transport's default. */
  idleTimeoutMs: number | undefined;
  /**
   * A fresh stream of the file's bytes, reporting upload progress as they are sent. `reuseBuffers` only for undici's
   * `request` body (see `recycledFileChunks`).
   */
  bytes(options?: CountedBytesOptions): AsyncIterable<Uint8Array>;
  /** Reports progress for bytes sent by other means (SDKs with their own progress events). */
  progress(loaded: number): void;
}

export interface DeleteContext {
  options: ProviderCallOptions;
  env: Env;
  baseUrl: string;
  context: ErrorContext;
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
  /**
   * The identity of the object the upload wrote (`SentUpload.written`) when the result passed to `delete` is the very
   * one `upload` returned: delete only while the object is still that one (another writer may have replaced it).
   */
  written: string | undefined;
}

export interface ProviderSpec {
  info: ProviderInfo;
  /** Base URL: the env variable that overrides it and the public default (absent: `ctx.baseUrl` is ''). */
  baseUrl?: { env: string; default: string };
  /** Readiness from configuration alone (keys present, options valid); no network. Default: ready. */
  status?(env: Env, options: ProviderCallOptions): ProviderStatus;
  send(ctx: SendContext): Promise<SentUpload>;
  delete?(result: Pick<UploadResult, 'url' | 'deleteUrl' | 'deleteToken'>, ctx: DeleteContext): Promise<void>;
  /** Headers the verification download needs (see `Provider.verifyHeaders`); default none. */
  verifyHeaders?(env: Env, options: ProviderCallOptions): Record<string, string> | undefined;
  /** See `Provider.nameKey`: where a file of this name would be stored, when that comes from the name alone. */
  nameKey?(filename: string, env: Env, options: ProviderCallOptions): string | undefined;
  /** See `Provider.keepOnFailure`: why an upload whose verification failed is kept rather than deleted. */
  keepOnFailure?: string;
}

/** A URL the service answered with, checked: http(s) and parseable, else undefined. */
export function checkedUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!/^https?:\/\/\S+$/i.test(trimmed)) return undefined;
  try {
    return new URL(trimmed).href;
  } catch {
    return undefined;
  }
}

/** The failure for a 2xx answer that carries no URL: never an empty URL passed off as success. */
export function noUrlError(context: ErrorContext, status: number, body: string): UfsError {
  // Shown safe (control characters escaped, binary summarised): the text is the service's, not ours.
  return new UfsError(
    'UNEXPECTED',
    `${describeContext(context)} HTTP ${status} but the answer holds no URL: ${isBinaryText(body) ? excerpt(body) : `"${excerpt(body)}"`}`,
    {
      context: { ...context, status },
      retryable: false,
    },
  );
}

function envOf(options: ProviderCallOptions): Env {
  return options.env ?? process.env;
}

/**
 * Refuses the timeouts of a call that `uploadFile` would refuse, with the same rules and words. Every upload and
 * delete of every provider passes here before any request (Node's timers cannot wait past 2^31-1 ms: a longer one
 * fires at once).
 */
function checkTimeouts(options: ProviderCallOptions, context: ErrorContext): void {
  for (const name of ['timeoutMs', 'idleTimeoutMs'] as const) checkNumberOption(name, options[name], context);
}

/** The options every call may carry besides the provider's own (`ProviderCallOptions`). */
const CALL_OPTIONS: ReadonlySet<string> = new Set([
  'env',
  'expire',
  'signal',
  'timeoutMs',
  'idleTimeoutMs',
  'onProgress',
]);

/**
 * Refuses options the provider does not declare (`provider-options.ts`), or of the wrong type, in a direct call:
 * INVALID_INPUT naming each and listing the known ones, as `uploadFile` does for `providerOptions`.
 */
function checkProviderOptions(id: string, options: ProviderCallOptions, context: ErrorContext): void {
  const own = Object.fromEntries(Object.entries(options).filter(([key]) => !CALL_OPTIONS.has(key)));
  const problems = providerOptionProblems(id, own);
  if (problems.length === 0) return;
  throw new UfsError(
    'INVALID_INPUT',
    `${describeContext(context)} ${problems.map(({ key, problem }) => `option ${key}: ${problem}`).join('; ')}`,
    { context, retryable: false },
  );
}

function baseUrlOf(spec: ProviderSpec, options: ProviderCallOptions, env: Env): string {
  return spec.baseUrl ? resolveBaseUrl(spec.info.id, options.baseUrl, env, spec.baseUrl.env, spec.baseUrl.default) : '';
}

/**
 * Turns a provider spec into a provider: checks timeouts, readiness, size and expiry support before any request,
 * prepares the counted byte stream and base URL, times the upload, refuses answers without a URL, and gives every
 * error the provider's context.
 */
export function defineProvider(spec: ProviderSpec): Provider {
  const { info } = spec;
  const status = (env: Env, options: ProviderCallOptions): ProviderStatus => {
    const state = spec.status?.(env, options) ?? { ready: true };
    if (!state.ready || !spec.baseUrl) return state;
    // A base URL the upload would refuse (not a URL, not http(s)) makes the provider not ready, for the same reason.
    try {
      baseUrlOf(spec, options, env);
    } catch (err) {
      return {
        ready: false,
        reason: (err as Error).message.replace(/^\[ufs\] \[[^\]]+\] /, ''),
        help: `set ${spec.baseUrl.env} (or the option baseUrl) to an http(s) URL${spec.baseUrl.default ? `, or unset it for ${spec.baseUrl.default}` : ''}`,
      };
    }
    return state;
  };

  async function upload(source: UploadSource, options: ProviderCallOptions = {}): Promise<UploadResult> {
    const context: ErrorContext = { provider: info.id, operation: 'upload', path: source.filename };
    const env = envOf(options);
    try {
      throwIfAborted(options.signal, context);
      checkTimeouts(options, context);
      checkProviderOptions(info.id, options, context);
      if (source.filename === '') {
        // Services build the URL from it: an empty one would be `PUT /`, a request for something else entirely.
        throw new UfsError('INVALID_INPUT', `${describeContext(context)} the source's filename is empty`, {
          context,
          retryable: false,
        });
      }
      if (isDotName(source.filename)) {
        // The same with `.` and `..`: the URL parser resolves them (`PUT /a/..` is `PUT /`).
        throw new UfsError(
          'INVALID_INPUT',
          `${describeContext(context)} the source's filename ${JSON.stringify(source.filename)} names a folder, not a file (use another name)`,
          { context, retryable: false },
        );
      }
      if (source.contentType && !isHeaderValue(source.contentType)) {
        // Sent as a header (or a multipart part's): a line break would start another header.
        throw new UfsError(
          'INVALID_INPUT',
          `${describeContext(context)} the source's contentType ${JSON.stringify(source.contentType)} is not a valid Content-Type (printable ASCII characters only, such as "text/plain")`,
          { context, retryable: false },
        );
      }
      const state = status(env, options);
      if (!state.ready) {
        throw new UfsError(
          'CONFIG_INVALID',
          `${describeContext(context)} not ready: ${state.reason ?? 'not configured'}${state.help ? ` (${state.help})` : ''}`,
          {
            context,
            retryable: false,
          },
        );
      }
      if (info.maxSize !== undefined && source.size > info.maxSize) {
        throw new UfsError(
          'TOO_LARGE',
          `${describeContext(context)} ${source.size} bytes is over the ${info.maxSize}-byte limit of ${info.name}`,
          {
            context,
            retryable: false,
          },
        );
      }
      if (options.expire !== undefined && !info.capabilities.expiry) {
        throw new UfsError(
          'UNSUPPORTED',
          `${describeContext(context)} ${info.name} does not let the uploader choose expiry (retention: ${info.retention})`,
          {
            context,
            retryable: false,
          },
        );
      }
      const baseUrl = baseUrlOf(spec, options, env);
      const total = source.size;
      const progress = (loaded: number) =>
        options.onProgress?.({ loaded, total, item: source.filename, phase: 'upload' });
      progress(0);
      const started = performance.now();
      const sent = await spec.send({
        source,
        options,
        env,
        baseUrl,
        context,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        bytes: (bytesOptions) => countedBytes(source, progress, context, bytesOptions),
        progress,
      });
      const url = checkedUrl(sent.url);
      if (!url) throw noUrlError(context, 200, String(sent.url));
      const result: UploadResult = {
        url,
        provider: info.id,
        size: source.size,
        ...(sent.expiresAt ? { expiresAt: sent.expiresAt } : {}),
        ...(sent.deleteUrl ? { deleteUrl: sent.deleteUrl } : {}),
        ...(sent.deleteToken ? { deleteToken: sent.deleteToken } : {}),
        timings: { uploadMs: Math.round(performance.now() - started) },
      };
      if (sent.written !== undefined) WRITTEN.set(result, sent.written);
      return result;
    } catch (err) {
      throw toUfsError(err, context);
    }
  }

  const provider: Provider = {
    info,
    status: (env: Env = process.env, options: ProviderCallOptions = {}) => status(env, options),
    upload,
    ...(spec.keepOnFailure !== undefined ? { keepOnFailure: spec.keepOnFailure } : {}),
  };
  if (spec.verifyHeaders) {
    const headers = spec.verifyHeaders;
    provider.verifyHeaders = (options: ProviderCallOptions = {}) => headers(envOf(options), options);
  }
  if (spec.nameKey) {
    const nameKey = spec.nameKey;
    provider.nameKey = (filename: string, options: ProviderCallOptions = {}) => {
      try {
        return nameKey(filename, envOf(options), options);
      } catch {
        return undefined; // not configured (or misconfigured): the upload itself will say so
      }
    };
  }
  if (spec.delete) {
    const remove = spec.delete;
    provider.delete = async (result, options: ProviderCallOptions = {}) => {
      const context: ErrorContext = { provider: info.id, operation: 'delete', path: result.url };
      const env = envOf(options);
      try {
        throwIfAborted(options.signal, context);
        checkTimeouts(options, context);
        checkProviderOptions(info.id, options, context);
        const baseUrl = baseUrlOf(spec, options, env);
        const { signal, timeoutMs, idleTimeoutMs } = options;
        const written = WRITTEN.get(result);
        await remove(result, { options, env, baseUrl, context, signal, timeoutMs, idleTimeoutMs, written });
      } catch (err) {
        throw toUfsError(err, context);
      }
    };
  }
  return provider;
}
