import { UfsError } from '@org/core';
import type { CliConfig } from '../config/cli-config.js';
import type { ServerTarget } from './dedup-client.js';

/**
 * The server to talk to: `--server`/`--api-key` (or env UFS_SERVER/UFS_API_KEY, read by the flags), else the config
 * file. `typed` holds the flags typed on the command line, to say where a bad URL came from.
 */
export function serverTarget(
  flags: { server?: string; 'api-key'?: string },
  config: CliConfig,
  typed: ReadonlySet<string>,
  needKey = true,
): ServerTarget {
  const url = flags.server ?? config.server.url;
  if (!url) {
    throw new UfsError(
      'CONFIG_INVALID',
      '[ufs] no server given: use --server URL, env UFS_SERVER, or "server: { url }" in the config file',
      {
        context: { operation: 'configure' },
      },
    );
  }
  if (!isHttpUrl(url)) {
    // A value typed on the command line is a usage error; one from the environment or the config file is a
    // configuration error, naming where it came from.
    const shown = JSON.stringify(url);
    if (typed.has('server')) {
      throw new UfsError('INVALID_INPUT', `[ufs] --server ${shown} is not an http(s) URL, e.g. http://nas:8000`, {
        context: { operation: 'configure' },
      });
    }
    const where =
      flags.server !== undefined ? 'env UFS_SERVER' : `"server.url" in config "${config.path ?? '(defaults)'}"`;
    throw new UfsError('CONFIG_INVALID', `[ufs] server ${shown} (${where}) is not an http(s) URL`, {
      context: { operation: 'configure' },
    });
  }
  const apiKey = flags['api-key'] ?? config.server.apiKey;
  if (needKey && !apiKey) {
    throw new UfsError(
      'CONFIG_INVALID',
      '[ufs] no API key given: use --api-key, env UFS_API_KEY, or "server: { apiKey }" in the config file',
      {
        context: { operation: 'configure' },
      },
    );
  }
  if (apiKey) checkApiKey(apiKey, flags, config, typed);
  return { url, ...(apiKey ? { apiKey } : {}) };
}

/** What Node.js refuses in a header value (the test of its `checkInvalidHeaderChar`, node:_http_common). */
const NOT_IN_HEADER = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * An API key travels in the `x-api-key` header: one with a character a header cannot carry (a line break, a "…"
 * copied from an example) would fail on every request with Node's "Invalid character in header content". It is
 * refused up front instead, naming where it came from (a usage error for the flag, a configuration error for env
 * UFS_API_KEY or the config file) and the character, never the key.
 */
function checkApiKey(
  apiKey: string,
  flags: { 'api-key'?: string },
  config: CliConfig,
  typed: ReadonlySet<string>,
): void {
  const index = apiKey.search(NOT_IN_HEADER);
  if (index === -1) return;
  const code = apiKey.codePointAt(index)!.toString(16).toUpperCase().padStart(4, '0');
  const what = `a character that an HTTP header cannot carry (U+${code}, character ${index + 1}); the key is not shown`;
  if (typed.has('api-key')) {
    throw new UfsError('INVALID_INPUT', `[ufs] --api-key holds ${what}`, { context: { operation: 'configure' } });
  }
  const where =
    flags['api-key'] !== undefined ? 'env UFS_API_KEY' : `"server.apiKey" in config "${config.path ?? '(defaults)'}"`;
  throw new UfsError('CONFIG_INVALID', `[ufs] the API key in ${where} holds ${what}`, {
    context: { operation: 'configure' },
  });
}

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
