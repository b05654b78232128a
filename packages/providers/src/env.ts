import { UfsError } from '@org/core';

/** Environment variables as read by providers: `process.env` unless a caller passes its own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A non-empty, trimmed env value, or undefined. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** `1/true/yes/on` and `0/false/no/off` (any case); anything else is CONFIG_INVALID naming the variable. */
export function parseBoolean(value: string | boolean | undefined, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
  throw new UfsError('CONFIG_INVALID', `[ufs] ${what} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * The base URL of a service: the `baseUrl` option, else the env variable, else the public default. Must be an
 * http(s) URL; the trailing slash is removed so callers append paths with a leading `/`.
 */
export function resolveBaseUrl(provider: string, option: unknown, env: Env, envName: string, fallback: string): string {
  const raw = (typeof option === 'string' && option.trim()) || envValue(env, envName) || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] [${provider}] base URL ${JSON.stringify(raw)} (option baseUrl or ${envName}) is not a URL`,
      {
        context: { provider, operation: 'configure' },
      },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] [${provider}] base URL ${JSON.stringify(raw)} (option baseUrl or ${envName}) must be http(s)`,
      {
        context: { provider, operation: 'configure' },
      },
    );
  }
  return parsed.href.replace(/\/+$/, '');
}

/** A string option given to the provider, else the env variable. */
export function optionOrEnv(option: unknown, env: Env, envName: string): string | undefined {
  if (typeof option === 'string' && option.trim()) return option.trim();
  return envValue(env, envName);
}
