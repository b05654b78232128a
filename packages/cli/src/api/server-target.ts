import { UfsError } from '@org/core';
import type { CliConfig } from '../config/cli-config.js';
import type { ServerTarget } from './dedup-client.js';

/** The server to talk to: `--server`/`--api-key` (or env UFS_SERVER/UFS_API_KEY, read by the flags), else the config file. */
export function serverTarget(
  flags: { server?: string; 'api-key'?: string },
  config: CliConfig,
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
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UfsError('CONFIG_INVALID', `[ufs] server ${JSON.stringify(url)} is not an http(s) URL`);
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
