import { UfsError, type ProgressListener, type RetryPolicy } from '@org/core';
import type { Env } from '../env.js';
import { envValue } from '../env.js';
import { parseDuration } from '../kit/expiry.js';
import { isDotName, isHeaderValue } from '../kit/names.js';
import { DEFAULT_PROVIDERS, assertKnownProviders } from '../registry.js';
import { checkProviderOptions } from '../provider-options.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../http/transport.js';
import {
  MAX_TIMEOUT_MS,
  loadConfigFile,
  numberProblem,
  parseUploadConfig,
  providerList,
  type NumberSetting,
  type UploadConfig,
} from './config.js';
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
  // The options of `uploadFiles` pass through here too (concurrency, per-file hooks).
  checkUploadOptions(options, 'uploadFiles');
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
    // The caller's own list is the caller's mistake (INVALID_INPUT); UFS_PROVIDERS' or the config file's, CONFIG_INVALID.
    const code = providersFrom === 'options' ? 'INVALID_INPUT' : 'CONFIG_INVALID';
    throw new UfsError(code, `[ufs] the provider list from ${providersFrom} is empty`, {
      context: { operation: 'configure' },
      retryable: false,
    });
  }
  assertKnownProviders(providers, providersFrom);
  // The caller's mistake (INVALID_INPUT) or the config file's (CONFIG_INVALID): each part is checked as what it is.
  assertKnownProviders(Object.keys(options.providerOptions ?? {}), 'providerOptions', 'input');
  assertKnownProviders(Object.keys(config.providerOptions ?? {}), 'providerOptions', 'config');
  // The config's were checked with the config (CONFIG_INVALID); the call's are the caller's mistake.
  checkProviderOptions(options.providerOptions);
  const providerOptions = { ...config.providerOptions, ...options.providerOptions };

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

/** One option of a call: what is wrong with a value given (`must be true or false, got "no"`), if anything. */
type OptionRule = (value: unknown) => string | undefined;

function shown(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const rule =
  (accepts: string, check: (value: unknown) => boolean): OptionRule =>
  (value) =>
    check(value) ? undefined : `must be ${accepts}, got ${shown(value)}`;
const boolean = rule('true or false', (value) => typeof value === 'boolean');
const nonEmptyText = rule('a non-empty string', (value) => typeof value === 'string' && value !== '');
/** A name services put in the URL path: `.` and `..` would name the folder or its parent (`PUT /`), not a file. */
const fileName = rule('a file name other than "." or ".."', (value) => typeof value === 'string' && !isDotName(value));
/** A header value: printable ASCII (a line break would end the header and start another). */
const contentType = rule(
  'a Content-Type of printable ASCII characters (such as "text/plain")',
  (value) => typeof value === 'string' && isHeaderValue(value),
);
const object = rule('an object', isObject);
const callback = rule('a function', (value) => typeof value === 'function');
/** A numeric setting, by the config file's rules and words (`NUMBER_SETTINGS`). */
const numberRule =
  (name: NumberSetting): OptionRule =>
  (value) =>
    numberProblem(name, value);
/** A delay in ms: Node's timers take up to MAX_TIMEOUT_MS. */
const delay = rule(
  `a number of ms from 0 to ${MAX_TIMEOUT_MS}`,
  (value) => typeof value === 'number' && value >= 0 && value <= MAX_TIMEOUT_MS,
);

/** The options of `uploadFile` (the config file's keys follow the same rules, see `uploadConfigSchema`). */
const FILE_OPTIONS: Readonly<Record<string, OptionRule>> = {
  providers: rule(
    'a list of provider ids or a comma-separated string',
    (value) =>
      typeof value === 'string' || (Array.isArray(value) && value.every((id) => typeof id === 'string' && id !== '')),
  ),
  config: object,
  configFile: nonEmptyText,
  env: object,
  expire: nonEmptyText,
  verify: boolean,
  fragile: boolean,
  timeoutMs: numberRule('timeoutMs'),
  idleTimeoutMs: numberRule('idleTimeoutMs'),
  maxAttempts: numberRule('maxAttempts'),
  retry: object,
  providerOptions: object,
  filename: fileName,
  contentType,
  signal: rule('an AbortSignal', (value) => value instanceof AbortSignal),
  onProgress: callback,
  onEvent: callback,
};

/** `uploadFiles` takes these too. */
const BATCH_OPTIONS: Readonly<Record<string, OptionRule>> = {
  ...FILE_OPTIONS,
  concurrency: numberRule('concurrency'),
  onFileEvent: callback,
  onSettled: callback,
};

/** The keys of `retry` (the core `retry()` policy, less what the orchestrator sets itself). */
const RETRY_OPTIONS: Readonly<Record<string, OptionRule>> = {
  baseDelayMs: delay,
  maxDelayMs: delay,
  maxRetryAfterMs: delay,
  deadlineMs: delay,
  factor: rule('a number from 1 to 100', (value) => typeof value === 'number' && value >= 1 && value <= 100),
  jitter: rule('"full", "equal" or "none"', (value) => value === 'full' || value === 'equal' || value === 'none'),
  random: callback,
  sleep: callback,
};

/** What is wrong with `options` against `rules`, one entry per key (`prefix` before each name). */
function problemsOf(
  options: Record<string, unknown>,
  rules: Readonly<Record<string, OptionRule>>,
  prefix: string,
  takes: string,
): Array<{ option: string; problem: string }> {
  const problems: Array<{ option: string; problem: string }> = [];
  for (const [key, value] of Object.entries(options)) {
    const option = `${prefix}${key}`;
    const check = Object.hasOwn(rules, key) ? rules[key] : undefined;
    const problem = !check
      ? `is unknown (${takes} takes: ${Object.keys(rules).join(', ')})`
      : value === undefined
        ? undefined
        : check(value);
    if (problem !== undefined) problems.push({ option, problem });
  }
  return problems;
}

/**
 * Checks the options of a call by the rules of the config file: an unknown key (a typo such as `retires`) or a value
 * of the wrong type (`verify: 'no'`, `retry: { baseDelayMs: -1 }`) is INVALID_INPUT naming each option and what it
 * takes, instead of being ignored or read as truthy. Undefined values stand for "not given". The contents of `config`
 * (CONFIG_INVALID) and of `providerOptions` are checked where they are read.
 */
export function checkUploadOptions(options: unknown, call: 'uploadFile' | 'uploadFiles'): void {
  if (options === undefined) return;
  const fail = (message: string, option?: string): never => {
    throw new UfsError('INVALID_INPUT', `[ufs] ${message}`, {
      context: { operation: 'configure', ...(option ? { option } : {}) },
      retryable: false,
    });
  };
  if (!isObject(options)) fail(`${call}: the options must be an object, got ${shown(options)}`);
  const given = options as Record<string, unknown>;
  const problems = problemsOf(given, call === 'uploadFile' ? FILE_OPTIONS : BATCH_OPTIONS, '', call);
  if (isObject(given.retry)) {
    problems.push(...problemsOf(given.retry as Record<string, unknown>, RETRY_OPTIONS, 'retry.', 'retry'));
  }
  if (problems.length === 0) return;
  fail(problems.map(({ option, problem }) => `option ${option} ${problem}`).join('; '), problems[0]!.option);
}

/** The path argument of `uploadFile`: a string (an absent or non-string path is the caller's mistake). */
export function checkPath(path: unknown, argument = 'path'): void {
  if (typeof path === 'string') return;
  throw new UfsError('INVALID_INPUT', `[ufs] upload: the ${argument} must be a string, got ${shown(path)}`, {
    context: { operation: 'upload' },
    retryable: false,
  });
}

/** The paths argument of `uploadFiles`: a list of strings. */
export function checkPaths(paths: unknown): void {
  if (!Array.isArray(paths)) {
    throw new UfsError('INVALID_INPUT', `[ufs] upload: paths must be a list of file paths, got ${shown(paths)}`, {
      context: { operation: 'upload' },
      retryable: false,
    });
  }
  paths.forEach((path, index) => checkPath(path, `path at index ${index} of paths`));
}
