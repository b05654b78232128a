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
import { throwIfAborted } from '../http/signals.js';
import { resolveBaseUrl, type Env } from '../env.js';
import { checkNumberOption } from '../orchestrator/config.js';
import type { Provider, ProviderCallOptions } from '../types.js';

/** What a provider's `send` returns: the URL and whatever the service gave to manage the upload. */
export interface SentUpload {
  url: string;
  deleteUrl?: string;
  deleteToken?: string;
  expiresAt?: Date;
}

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
  const shown = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new UfsError(
    'UNEXPECTED',
    `${describeContext(context)} HTTP ${status} but the answer holds no URL: ${JSON.stringify(shown)}`,
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
  const status = (env: Env, options: ProviderCallOptions): ProviderStatus =>
    spec.status?.(env, options) ?? { ready: true };

  async function upload(source: UploadSource, options: ProviderCallOptions = {}): Promise<UploadResult> {
    const context: ErrorContext = { provider: info.id, operation: 'upload', path: source.filename };
    const env = envOf(options);
    try {
      throwIfAborted(options.signal, context);
      checkTimeouts(options, context);
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
      return {
        url,
        provider: info.id,
        size: source.size,
        ...(sent.expiresAt ? { expiresAt: sent.expiresAt } : {}),
        ...(sent.deleteUrl ? { deleteUrl: sent.deleteUrl } : {}),
        ...(sent.deleteToken ? { deleteToken: sent.deleteToken } : {}),
        timings: { uploadMs: Math.round(performance.now() - started) },
      };
    } catch (err) {
      throw toUfsError(err, context);
    }
  }

  const provider: Provider = {
    info,
    status: (env: Env = process.env, options: ProviderCallOptions = {}) => status(env, options),
    upload,
  };
  if (spec.verifyHeaders) {
    const headers = spec.verifyHeaders;
    provider.verifyHeaders = (options: ProviderCallOptions = {}) => headers(envOf(options), options);
  }
  if (spec.delete) {
    const remove = spec.delete;
    provider.delete = async (result, options: ProviderCallOptions = {}) => {
      const context: ErrorContext = { provider: info.id, operation: 'delete', path: result.url };
      const env = envOf(options);
      try {
        throwIfAborted(options.signal, context);
        checkTimeouts(options, context);
        const baseUrl = baseUrlOf(spec, options, env);
        const { signal, timeoutMs, idleTimeoutMs } = options;
        await remove(result, { options, env, baseUrl, context, signal, timeoutMs, idleTimeoutMs });
      } catch (err) {
        throw toUfsError(err, context);
      }
    };
  }
  return provider;
}
