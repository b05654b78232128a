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
  return { url, ...(apiKey ? { apiKey } : {}) };
}

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
