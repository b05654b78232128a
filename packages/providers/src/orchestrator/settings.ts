import { UfsError, type ProgressListener, type RetryPolicy } from '@org/core';
import type { Env } from '../env.js';
import { envValue } from '../env.js';
import { parseDuration } from '../kit/expiry.js';
import { DEFAULT_PROVIDERS, assertKnownProviders } from '../registry.js';
import { checkProviderOptions } from '../provider-options.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../http/transport.js';
import { loadConfigFile, checkNumberOption, parseUploadConfig, providerList, type UploadConfig } from './config.js';
import type { UploadEvent } from './events.js';

export interface UploadFileOptions {
  /** Providers to try, in order (ids or `"a,b"`). Wins over `UFS_PROVIDERS` and the config file. */
  providers?: readonly string[] | string;
  /** Config already parsed (instead of `configFile`). */
  config?: UploadConfig;
  /**
   * Config file (JSON/YAML): the upload config, or a full ufs config (its `upload` section is read, its other
   * sections ignored); default: the `UFS_CONFIG` env variable, else none.
   */
  configFile?: string;
  /** Environment to read (`UFS_PROVIDERS`, `UFS_CONFIG`, provider keys and base URLs). Default `process.env`. */
  env?: Env;
  /** Requested retention (`1h`, `24h`, `7d`, …); providers that cannot choose expiry are skipped. */
  expire?: string;
  /** Download the URL and compare SHA-256 after upload. Default true. */
  verify?: boolean;
  /** Stop at the first provider that fails instead of falling back to the next. Default false. */
  fragile?: boolean;
  /** Per-request deadline in ms (each upload attempt, each verification download). Default none. */
  timeoutMs?: number;
  /**
   * Idle timeout in ms of each request: no answer this long after the file was sent (or the server taking none of
   * it for this long while it is sent), or no data this long while an answer or a verification download is read.
   * TIMEOUT (retried) when it passes. Default 60 000; 0 turns it off.
   */
  idleTimeoutMs?: number;
  /** Attempts per provider, the first included. Default 3. */
  maxAttempts?: number;
  /** Backoff tuning passed to the core `retry()` (base/max delay, jitter, Retry-After cap). */
  retry?: Omit<RetryPolicy, 'signal' | 'onRetry' | 'maxAttempts' | 'retryOn'>;
  /** Options per provider id, e.g. `{ s3: { prefix: 'shared/', unique: true } }`. */
  providerOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Name given to the services (default: the file's base name). */
  filename?: string;
  contentType?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Attempts, retries, skips, failures, verification: for logs (the CLI prints them to stderr). */
  onEvent?: (event: UploadEvent) => void;
}

/** Where the provider order came from. */
export type ProvidersFrom = 'options' | 'env UFS_PROVIDERS' | 'config' | 'defaults';

export interface UploadSettings {
  providers: string[];
  providersFrom: ProvidersFrom;
  expire: string | undefined;
  verify: boolean;
  fragile: boolean;
  timeoutMs: number | undefined;
  idleTimeoutMs: number;
  retry: RetryPolicy;
  concurrency: number;
  providerOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  env: Env;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/**
 * Resolves settings. Precedence, highest first: the options of the call; for the provider order, the env
 * variable `UFS_PROVIDERS`; the config (`config`, else `configFile`, else the file named by `UFS_CONFIG`);
 * built-in defaults. Unknown provider ids are refused listing the known ones: INVALID_INPUT when the options name them,
 * CONFIG_INVALID when `UFS_PROVIDERS` or the config does.
 */
export async function resolveUploadSettings(options: UploadFileOptions = {}): Promise<UploadSettings> {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? envValue(env, 'UFS_CONFIG');
  const config = options.config
    ? parseUploadConfig(options.config)
    : configFile
      ? await loadConfigFile(configFile)
      : {};

  let providers: string[];
  let providersFrom: ProvidersFrom;
  const fromEnv = envValue(env, 'UFS_PROVIDERS');
  if (options.providers !== undefined) {
    providers = providerList(options.providers);
    providersFrom = 'options';
  } else if (fromEnv !== undefined) {
    providers = providerList(fromEnv);
    providersFrom = 'env UFS_PROVIDERS';
  } else if (config.providers !== undefined) {
    providers = providerList(config.providers);
    providersFrom = 'config';
  } else {
    providers = [...DEFAULT_PROVIDERS];
    providersFrom = 'defaults';
  }
  if (providers.length === 0) {
    throw new UfsError('CONFIG_INVALID', `[ufs] the provider list from ${providersFrom} is empty`, {
      context: { operation: 'configure' },
    });
  }
  assertKnownProviders(providers, providersFrom);
  // The caller's mistake (INVALID_INPUT) or the config file's (CONFIG_INVALID): each part is checked as what it is.
  assertKnownProviders(Object.keys(options.providerOptions ?? {}), 'providerOptions', 'input');
  assertKnownProviders(Object.keys(config.providerOptions ?? {}), 'providerOptions', 'config');
  // The config's were checked with the config (CONFIG_INVALID); the call's are the caller's mistake.
  checkProviderOptions(options.providerOptions);
  const providerOptions = { ...config.providerOptions, ...options.providerOptions };

  checkNumberOption('maxAttempts', options.maxAttempts);
  checkNumberOption('timeoutMs', options.timeoutMs);
  checkNumberOption('idleTimeoutMs', options.idleTimeoutMs);
  const maxAttempts = options.maxAttempts ?? config.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const expire = options.expire ?? config.expire;
  // Checked once here: a malformed value is the caller's mistake, not a reason to try (and skip) every provider.
  if (expire !== undefined) checkExpire(expire, options.expire === undefined);
  return {
    providers,
    providersFrom,
    expire,
    verify: options.verify ?? config.verify ?? true,
    fragile: options.fragile ?? config.fragile ?? false,
    timeoutMs: options.timeoutMs ?? config.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    retry: { ...DEFAULT_RETRY, ...options.retry, maxAttempts },
    concurrency: config.concurrency ?? 3,
    providerOptions,
    env,
  };
}

function checkExpire(expire: string, fromConfig: boolean): void {
  try {
    parseDuration(expire);
  } catch (err) {
    if (!fromConfig) throw err;
    throw new UfsError('CONFIG_INVALID', `${(err as Error).message} (expire in the upload config)`, {
      context: { operation: 'configure' },
      cause: err,
    });
  }
}
